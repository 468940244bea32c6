// The ingest worker's service over in-thread RPC: lines to fake model and search workers, prompts answered by a
// second call, cancelling a pending prompt, a dead model worker, and storage through fake-indexeddb.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmbedderSpec } from '../../../src/lib/config/registry-types';
import { AppError, toWire } from '../../../src/lib/errors';
import type { EmbedderMethods } from '../../../src/lib/models/embedder/types';
import type { LateInteractionMethods } from '../../../src/lib/models/late-interaction/types';
import { getChunksByDoc, getTokenVectors, listDocuments, openLecternDB } from '../../../src/lib/persistence';
import type { ImportRequest } from '../../../src/lib/pipelines/ingest';
import type { ImportProgress, IngestMethods } from '../../../src/lib/pipelines/library-types';
import type { AddParams, SearchMethods } from '../../../src/lib/retrieval/search-types';
import { LocalCaller, serve, type Endpoint, type Handlers, type MethodMap } from '../../../src/lib/rpc';
import { ingestHandlers } from '../../../src/lib/services/ingest-service';
import { DIMS, embedderHandlers, indexHandlers, lateHandlers } from '../pipelines/fakes';
import { uniqueDbName } from '../persistence/fixtures';

const SPEC = { role: 'embedder', id: 'fake/embedder', dims: DIMS, maxTokens: 64 } as unknown as EmbedderSpec;
const TEXT = [
  '# Harbour',
  '',
  ...Array.from({ length: 12 }, (_, i) => `The ferry left the harbour at dawn, day ${i}.`),
].join('\n');

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

/** A port whose other end serves `handlers`, as a worker's line to another worker would. */
function line<M extends MethodMap>(handlers: Handlers<M>): MessagePort {
  const channel = new MessageChannel();
  channels.push(channel);
  serve(channel.port2 as unknown as Endpoint, handlers);
  channel.port2.start();
  return channel.port1;
}

async function service(options: { late?: boolean; hangingEmbedder?: boolean } = {}) {
  const dbName = uniqueDbName();
  const log = { added: [] as AddParams[], removed: [] as string[][] };
  const rpc = new LocalCaller<IngestMethods>(
    ingestHandlers({ tokenCounter: async () => (text: string) => text.split(/\s+/).filter(Boolean).length }),
  );
  const embedder = embedderHandlers();
  if (options.hangingEmbedder) embedder.embed = () => new Promise(() => {});
  expect(await rpc.call('open', { dbName, search: line<SearchMethods>(indexHandlers(log)) })).toEqual([]);
  const attach = () =>
    rpc.call('attach', {
      embedder: line<EmbedderMethods>(embedder),
      late: options.late === false ? null : { port: line<LateInteractionMethods>(lateHandlers()), modelId: 'late' },
      runtime: { modelBaseUrl: 'http://localhost/models/', wasmBaseUrl: 'http://localhost/ort/' },
      unavailable: null,
    });
  return { rpc, dbName, log, attach };
}

function request(docId: string, name = 'harbour.md', text = TEXT): ImportRequest {
  return {
    docId,
    file: new Blob([text]),
    name,
    mimeType: 'text/markdown',
    embedder: SPEC,
    chunk: { maxTokens: 30, overlapTokens: 3 },
    maxFileMB: 1,
  };
}

describe('ingest service', () => {
  it('imports a file that was queued before the models settled, storing every row and indexing it', async () => {
    const { rpc, dbName, log, attach } = await service();
    const progress: ImportProgress[] = [];
    const pending = rpc.call('import', request('doc-1'), { onProgress: (p) => progress.push(p) });
    await new Promise((r) => setTimeout(r, 20));
    expect(progress.map((p) => (p.kind === 'stage' ? p.stage : p.kind))).toEqual(['reading', 'waiting']);
    await attach();
    const out = await pending;
    expect(out).toMatchObject({ kind: 'added', doc: { id: 'doc-1', name: 'harbour.md' } });
    expect(progress.map((p) => (p.kind === 'stage' ? p.stage : p.kind))).toContain('saved');

    const db = await openLecternDB(dbName);
    const chunks = await getChunksByDoc(db, 'doc-1');
    expect(chunks.length).toBeGreaterThan(1);
    expect(
      (
        await getTokenVectors(
          db,
          chunks.map((c) => c.id),
        )
      ).every((t) => t?.bits === 6),
    ).toBe(true);
    expect((await listDocuments(db)).map((d) => d.id)).toEqual(['doc-1']);
    expect(log.added[0]!.ids).toEqual(chunks.map((c) => c.id));
    db.close();

    // Remove deletes from storage, then from the index.
    await rpc.call('remove', { docId: 'doc-1' });
    expect(log.removed).toEqual([chunks.map((c) => c.id)]);
  });

  it('asks through progress and takes the answer from a second call; a cancelled prompt stops waiting', async () => {
    const { rpc, attach } = await service();
    await attach();
    await rpc.call('import', request('doc-1'));
    const asked: ImportProgress[] = [];
    const replace = rpc.call('import', request('doc-2', 'harbour.md', `${TEXT}\nA new line.`), {
      onProgress: (p) => {
        if (p.kind !== 'ask') return;
        asked.push(p);
        void rpc.call('answer', { docId: 'doc-2', answer: { kind: 'replace', replace: true } });
      },
    });
    expect(await replace).toMatchObject({ kind: 'replaced', replaced: 'doc-1' });
    expect(asked).toEqual([{ kind: 'ask', prompt: { kind: 'replace', existing: 'harbour.md' } }]);

    const controller = new AbortController();
    const cancelled = rpc.call('import', request('doc-3', 'harbour.md', `${TEXT}\nAnother.`), {
      signal: controller.signal,
      onProgress: (p) => p.kind === 'ask' && controller.abort(),
    });
    await expect(cancelled).rejects.toMatchObject({ code: 'ABORTED' });
    await new Promise((r) => setTimeout(r, 10));
    expect(await rpc.call('answer', { docId: 'doc-3', answer: { kind: 'replace', replace: true } })).toBe(false);
  });

  it('fails imports with the reason the models could not load', async () => {
    const { rpc } = await service();
    const pending = rpc.call('import', request('doc-1'));
    await rpc.call('attach', {
      embedder: null,
      late: null,
      runtime: { modelBaseUrl: 'http://localhost/', wasmBaseUrl: 'http://localhost/' },
      unavailable: toWire(new AppError('MODEL_HUB_UNREACHABLE', undefined, { url: 'u', reason: 'no response' })),
    });
    await expect(pending).rejects.toMatchObject({ code: 'MODEL_HUB_UNREACHABLE' });
  });

  it('fails the call in flight when the embedder worker dies; the next import waits for its successor', async () => {
    const { rpc, attach, dbName } = await service({ hangingEmbedder: true });
    await attach();
    const stages: string[] = [];
    const hung = rpc.call('import', request('doc-1'), {
      onProgress: (p) => p.kind === 'stage' && stages.push(p.stage),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(stages.at(-1)).toBe('embedding');
    const stalled = new AppError('MODEL_STALLED', undefined, { model: 'embedder', method: 'embed', seconds: 1 });
    await rpc.call('peerFailed', { peer: 'embedder', error: toWire(stalled) });
    await expect(hung).rejects.toMatchObject({ code: 'MODEL_STALLED' });
    let settled = false;
    const next = rpc.call('import', request('doc-2', 'other.md', `${TEXT} other`)).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    await rpc.call('peerRestored', { peer: 'embedder', port: line<EmbedderMethods>(embedderHandlers()), error: null });
    await expect(next).resolves.toMatchObject({ kind: 'added' });
    const db = await openLecternDB(dbName);
    expect((await listDocuments(db)).map((d) => d.id)).toEqual(['doc-2']);
    db.close();
  });

  it('fails waiting imports with the reason a dead embedder could not come back', async () => {
    const { rpc, attach } = await service({ hangingEmbedder: true });
    await attach();
    const hung = rpc.call('import', request('doc-1'));
    await new Promise((r) => setTimeout(r, 50));
    await rpc.call('peerFailed', { peer: 'embedder', error: toWire(new AppError('WORKER_CRASHED')) });
    await expect(hung).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    const next = rpc.call('import', request('doc-2', 'other.md', `${TEXT} other`));
    const error = toWire(new AppError('MODEL_LOAD_STALLED', undefined, { model: 'e', method: 'load', seconds: 1 }));
    await rpc.call('peerRestored', { peer: 'embedder', port: null, error });
    await expect(next).rejects.toMatchObject({ code: 'MODEL_LOAD_STALLED' });
  });
});
