// The ingest worker's service over in-thread RPC: lines to fake model and search workers, prompts answered by a
// second call, cancelling a pending prompt, a dead model worker, and storage through fake-indexeddb.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmbedderSpec } from '../../../src/lib/config/registry-types';
import { AppError, toWire } from '../../../src/lib/errors';
import type { EmbedderMethods } from '../../../src/lib/models/embedder/types';
import type { LateInteractionMethods } from '../../../src/lib/models/late-interaction/types';
import {
  getChunksByDoc,
  getPendingFiles,
  getTokenVectors,
  listDocuments,
  openLecternDB,
  putPendingFiles,
} from '../../../src/lib/persistence';
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

async function service(options: { late?: boolean; hangingEmbedder?: boolean; hangingIndex?: boolean } = {}) {
  const dbName = uniqueDbName();
  const log = {
    added: [] as AddParams[],
    removed: [] as string[][],
    vectorsAdded: [] as { ids: string[]; vectors: Float32Array }[],
  };
  const rpc = new LocalCaller<IngestMethods>(
    ingestHandlers({ tokenCounter: async () => (text: string) => text.split(/\s+/).filter(Boolean).length }),
  );
  const embedder = embedderHandlers();
  if (options.hangingEmbedder) embedder.embed = () => new Promise(() => {});
  const index = indexHandlers(log);
  if (options.hangingIndex) index.add = () => new Promise(() => {});
  expect(await rpc.call('open', { dbName, search: line<SearchMethods>(index) })).toEqual([]);
  const attach = (keys: { embedder?: string | null; late?: string | null } = {}) => {
    const e = keys.embedder === undefined ? 'emb' : keys.embedder;
    const l = keys.late === undefined ? (options.late === false ? null : 'late') : keys.late;
    return rpc.call('attach', {
      embedder: e === null ? null : { port: line<EmbedderMethods>(embedder), key: e },
      late: l === null ? null : { port: line<LateInteractionMethods>(lateHandlers()), modelId: l },
      runtime: { modelBaseUrl: 'http://localhost/models/', wasmBaseUrl: 'http://localhost/ort/' },
      unavailable: null,
    });
  };
  return { rpc, dbName, log, attach, embedder };
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

  it("removes the file's pending-import row with the save, and keeps it when the file is refused", async () => {
    const { rpc, dbName, attach } = await service();
    await attach();
    const db = await openLecternDB(dbName);
    const row = (seq: number) => ({
      ...{ id: `tab:${seq}`, tabId: 'tab', seq, queuedAt: 1, name: 'harbour.md', type: 'text/markdown' },
      ...{ size: TEXT.length, lastModified: 1, file: new Blob([TEXT]) },
    });
    await putPendingFiles(db, [row(0), row(1)]);
    await rpc.call('import', { ...request('doc-1'), pendingId: 'tab:0' });
    expect((await getPendingFiles(db, 'tab')).map((r) => r.id)).toEqual(['tab:1']);
    // The same bytes again: refused as a duplicate, so its row stays for the tab to remove as failed.
    await expect(rpc.call('import', { ...request('doc-2'), pendingId: 'tab:1' })).rejects.toMatchObject({
      code: 'FILE_DUPLICATE',
    });
    expect((await getPendingFiles(db, 'tab')).map((r) => r.id)).toEqual(['tab:1']);
    db.close();
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

  it('fails imports with the reason the index cannot be used', async () => {
    const { rpc } = await service();
    const pending = rpc.call('import', request('doc-1'));
    await rpc.call('attach', {
      embedder: null,
      late: null,
      runtime: { modelBaseUrl: 'http://localhost/', wasmBaseUrl: 'http://localhost/' },
      unavailable: toWire(new AppError('SEARCH_OPEN_FAILED')),
    });
    await expect(pending).rejects.toMatchObject({ code: 'SEARCH_OPEN_FAILED' });
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

  it('keeps waiting for a respawning embedder across a re-attach that came without it', async () => {
    const { rpc, attach } = await service({ late: false });
    await attach();
    await rpc.call('peerFailed', { peer: 'embedder', error: toWire(new AppError('WORKER_CRASHED')) });
    // A retry re-attaches while the embedder's worker is still being replaced: its line is missing from this attach.
    await attach({ embedder: null });
    const next = rpc.call('import', request('doc-2', 'other.md', `${TEXT} other`));
    await new Promise((r) => setTimeout(r, 20));
    await rpc.call('peerRestored', { peer: 'embedder', port: line<EmbedderMethods>(embedderHandlers()), error: null });
    // The file is embedded by the successor, under the key it had: not keyword-only for the rest of the session.
    await expect(next).resolves.toMatchObject({ kind: 'added', doc: { embedderId: 'emb' } });
  });

  it('fails index calls on the line to a lost search worker, then adds to and removes from its successor', async () => {
    const { rpc, attach } = await service({ hangingIndex: true });
    await attach();
    const hung = rpc.call('import', request('doc-1'));
    await new Promise((r) => setTimeout(r, 50));
    const stalled = new AppError('SEARCH_STALLED', undefined, { method: 'add', seconds: 1 });
    await rpc.call('attachSearch', { port: null, error: toWire(stalled) });
    await expect(hung).rejects.toMatchObject({ code: 'SEARCH_STALLED' });
    const successor = { added: [] as AddParams[], removed: [] as string[][] };
    await rpc.call('attachSearch', { port: line<SearchMethods>(indexHandlers(successor)), error: null });
    await expect(rpc.call('import', request('doc-2', 'other.md', `${TEXT} other`))).resolves.toMatchObject({
      kind: 'added',
    });
    expect(successor.added.map((a) => a.ids.length)).toEqual([expect.any(Number)]);
    await rpc.call('remove', { docId: 'doc-2' });
    expect(successor.removed).toEqual([successor.added[0]!.ids]);
  });

  it('adds waiting imports by keywords only when a dead embedder could not come back', async () => {
    const { rpc, attach } = await service({ hangingEmbedder: true });
    await attach();
    const hung = rpc.call('import', request('doc-1'));
    await new Promise((r) => setTimeout(r, 50));
    await rpc.call('peerFailed', { peer: 'embedder', error: toWire(new AppError('WORKER_CRASHED')) });
    await expect(hung).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    const next = rpc.call('import', request('doc-2', 'other.md', `${TEXT} other`));
    const error = toWire(new AppError('MODEL_LOAD_STALLED', undefined, { model: 'e', method: 'load', seconds: 1 }));
    await rpc.call('peerRestored', { peer: 'embedder', port: null, error });
    // Nothing is lost: the file is stored and searchable by keywords, and the backfill adds its vectors later.
    await expect(next).resolves.toMatchObject({ kind: 'added', doc: { embedderId: null } });
  });

  it('imports by keywords only while no embedder loaded; the backfill adds both kinds of vectors once one attaches', async () => {
    const { rpc, dbName, log, attach } = await service();
    await attach({ embedder: null, late: null });
    const out = await rpc.call('import', request('doc-1'));
    expect(out).toMatchObject({ kind: 'added', doc: { embedderId: null, lateModelId: null } });
    expect(log.added[0]!.vectors).toBeNull();
    expect(log.added[0]!.keywords.length).toBe(log.added[0]!.ids.length);
    let db = await openLecternDB(dbName);
    const ids = (await getChunksByDoc(db, 'doc-1')).map((c) => c.id);
    expect(await countRows(db, 'vectors')).toBe(0);
    db.close();
    // With no embedder there is nothing to backfill.
    expect(await rpc.call('backfill', { replace: false })).toEqual({ done: 0, failed: 0 });

    await attach();
    const progress: { done: number; total: number; embedderId: string | null }[] = [];
    const result = await rpc.call(
      'backfill',
      { replace: false },
      { onProgress: (p) => progress.push({ ...p, ...p.doc }) },
    );
    expect(result).toEqual({ done: 1, failed: 0 });
    expect(progress).toMatchObject([{ done: 1, total: 1, embedderId: 'emb' }]);
    expect(log.vectorsAdded.map((v) => v.ids)).toEqual([ids]);
    expect(log.vectorsAdded[0]!.vectors.length).toBe(ids.length * DIMS);
    db = await openLecternDB(dbName);
    expect((await listDocuments(db))[0]).toMatchObject({ embedderId: 'emb', lateModelId: 'late' });
    expect(await countRows(db, 'vectors')).toBe(ids.length);
    expect((await getTokenVectors(db, ids)).every((t) => t?.modelId === 'late')).toBe(true);
    db.close();
    // Done means done: a second run finds nothing missing.
    expect(await rpc.call('backfill', { replace: false })).toEqual({ done: 0, failed: 0 });
  });

  it('re-embeds with a changed embedder, replacing the old vectors, and leaves token vectors of the same model', async () => {
    const { rpc, dbName, log, attach, embedder } = await service();
    await attach();
    await rpc.call('import', request('doc-1'));
    const calls: string[][] = [];
    const embed = embedder.embed;
    embedder.embed = (p, ctx) => (calls.push(p.texts), embed(p, ctx));
    await attach({ embedder: 'emb-2' });
    // Another model's vectors are replaced only when asked (a link's registry visited once must not rewrite them).
    expect(await rpc.call('backfill', { replace: false })).toEqual({ done: 0, failed: 0 });
    expect(calls).toHaveLength(0);
    expect(await rpc.call('backfill', { replace: true })).toEqual({ done: 1, failed: 0 });
    const db = await openLecternDB(dbName);
    const chunks = await getChunksByDoc(db, 'doc-1');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(chunks.length);
    const vectors = await db.getAll('vectors');
    expect(vectors.map((v) => v.embedderId)).toEqual(chunks.map(() => 'emb-2'));
    expect((await listDocuments(db))[0]).toMatchObject({ embedderId: 'emb-2', lateModelId: 'late' });
    expect(log.vectorsAdded).toHaveLength(1);
    db.close();
  });

  it('resumes a backfill cut short where it stopped, and leaves a document deleted meanwhile alone', async () => {
    const { rpc, dbName, log, attach, embedder } = await service({ late: false });
    await attach({ embedder: null });
    for (const [i, name] of ['a.md', 'b.md', 'c.md'].entries()) {
      await rpc.call('import', request(`doc-${i}`, name, `${TEXT} ${name}`));
    }
    await attach();
    // The first run is cut short (a crash, a closed tab) after its first document.
    const controller = new AbortController();
    const first = rpc.call(
      'backfill',
      { replace: false },
      { signal: controller.signal, onProgress: () => controller.abort() },
    );
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' });
    let db = await openLecternDB(dbName);
    const keys = async () => (await listDocuments(db)).map((d) => d.embedderId);
    expect(await keys()).toEqual(['emb', null, null]);
    const doc1Chunks = (await getChunksByDoc(db, 'doc-1')).length;
    db.close();

    // The next run starts where it stopped; the document deleted while its vectors are made gets none.
    const embed = embedder.embed;
    let texts = 0;
    embedder.embed = async (p, ctx) => {
      texts += p.texts.length;
      if (p.texts.some((t) => t.includes('b.md'))) await rpc.call('remove', { docId: 'doc-1' });
      return embed(p, ctx);
    };
    // doc-1, deleted while its vectors were made, is left alone and not counted.
    expect(await rpc.call('backfill', { replace: false })).toEqual({ done: 1, failed: 0 });
    db = await openLecternDB(dbName);
    expect((await listDocuments(db)).map((d) => [d.id, d.embedderId])).toEqual([
      ['doc-0', 'emb'],
      ['doc-2', 'emb'],
    ]);
    const chunks2 = await getChunksByDoc(db, 'doc-2');
    // doc-0 was not embedded again: only doc-1 (then deleted) and doc-2 were.
    expect(texts).toBe(doc1Chunks + chunks2.length);
    expect((await db.getAll('vectors')).every((v) => v.docId !== 'doc-1')).toBe(true);
    expect(log.vectorsAdded.flatMap((v) => v.ids).some((id) => id.startsWith('doc-1:'))).toBe(false);
    db.close();
  });
});

describe('backfill of rows saved before provenance keys', () => {
  it('adopts vectors stored under the bare model id without embedding again, and gives the index them', async () => {
    const { rpc, dbName, log, attach, embedder } = await service();
    // An earlier version stored vectors and token vectors under bare ids, and no lateModelId on the document.
    await attach({ embedder: 'fake/embedder', late: 'fake/late' });
    await rpc.call('import', request('doc-1'));
    let db = await openLecternDB(dbName);
    const doc = (await listDocuments(db))[0]!;
    await db.put('documents', { ...doc, lateModelId: undefined });
    const before = await db.getAll('vectors');
    db.close();

    let embeds = 0;
    const embed = embedder.embed;
    embedder.embed = (p, ctx) => (embeds++, embed(p, ctx));
    await attach({
      embedder: 'fake/embedder@main from https://huggingface.co by builtin:default',
      late: 'fake/late@main from https://huggingface.co by builtin:default',
    });
    expect(await rpc.call('backfill', { replace: false })).toEqual({ done: 1, failed: 0 });
    expect(embeds).toBe(0);
    db = await openLecternDB(dbName);
    const after = await db.getAll('vectors');
    expect(after.map((v) => v.embedderId)).toEqual(
      before.map(() => 'fake/embedder@main from https://huggingface.co by builtin:default'),
    );
    expect(after.map((v) => new Float32Array(v.data))).toEqual(before.map((v) => new Float32Array(v.data)));
    expect((await db.getAll('tokenVectors')).every((t) => t.modelId.startsWith('fake/late@main from'))).toBe(true);
    expect((await listDocuments(db))[0]).toMatchObject({
      lateModelId: 'fake/late@main from https://huggingface.co by builtin:default',
    });
    db.close();
    // The search worker gets the adopted vectors (it loaded only those under the key in use).
    expect(log.vectorsAdded.at(-1)!.ids).toEqual(before.map((v) => v.chunkId).sort());
    expect(await rpc.call('backfill', { replace: false })).toEqual({ done: 0, failed: 0 });
  });
});

async function countRows(db: Awaited<ReturnType<typeof openLecternDB>>, store: 'vectors' | 'tokenVectors') {
  return (await db.getAll(store)).length;
}
