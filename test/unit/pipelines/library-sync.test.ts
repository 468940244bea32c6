// Tab sync's protocol: own and malformed messages are ignored, the consistency diff, and applying a change in order.
import { describe, expect, it } from 'vitest';
import type { DocumentSummary } from '../../../src/lib/pipelines/ingest';
import {
  applyChange,
  applyToList,
  diffLibrary,
  message,
  readMessage,
  type LibraryChange,
} from '../../../src/lib/pipelines/library-sync';

const doc = (id: string, addedAt: number): DocumentSummary => ({
  ...{ id, name: `${id}.md`, kind: 'markdown', size: 1, hash: `h-${id}`, title: id, pageCount: null },
  ...{ chunkCount: 1, addedAt, status: 'ready', embedderId: 'e' },
});

describe('tab messages', () => {
  it('carries ids only and is ignored by the tab that sent it', () => {
    const sent = message('tab-a', { added: ['d1'], removed: ['d0'] });
    expect(JSON.parse(JSON.stringify(sent))).toEqual({
      v: 1,
      from: 'tab-a',
      change: { added: ['d1'], removed: ['d0'] },
    });
    expect(readMessage(sent, 'tab-a')).toBeNull();
    expect(readMessage(sent, 'tab-b')).toEqual({ added: ['d1'], removed: ['d0'] });
  });

  it('drops anything malformed or of another version', () => {
    const bad: unknown[] = [
      null,
      'x',
      { v: 2, from: 'a', change: { added: [], removed: [] } },
      { v: 1, change: { added: [], removed: [] } },
      { v: 1, from: 'a', change: { added: [1], removed: [] } },
      { v: 1, from: 'a', change: { added: [] } },
      { v: 1, from: 'a' },
    ];
    for (const data of bad) expect(readMessage(data, 'b')).toBeNull();
  });
});

describe('consistency check', () => {
  it('finds the documents stored but not listed, and listed but no longer stored', () => {
    expect(diffLibrary(['a', 'b', 'c'], ['b', 'c', 'd'])).toEqual({ added: ['d'], removed: ['a'] });
    expect(diffLibrary(['a'], ['a'])).toEqual({ added: [], removed: [] });
  });
});

describe('applying a change', () => {
  it('keeps each document once, oldest first, without the removed ones', () => {
    const list = [doc('a', 1), doc('b', 3)];
    expect(applyToList(list, [doc('c', 2), doc('b', 3)], ['a']).map((d) => d.id)).toEqual(['c', 'b']);
  });

  it('indexes, lists and forgets; an added document already gone again counts as removed', async () => {
    let docs = [doc('a', 1), doc('old', 2)];
    const forgotten: string[] = [];
    const asked: LibraryChange[] = [];
    await applyChange(
      { added: ['new', 'vanished'], removed: ['old'] },
      {
        index: async (c) => {
          asked.push(c);
          return [doc('new', 5)];
        },
        documents: () => docs,
        setDocuments: (d) => (docs = d),
        forget: (id) => forgotten.push(id),
      },
    );
    expect(asked).toEqual([{ added: ['new', 'vanished'], removed: ['old'] }]);
    expect(docs.map((d) => d.id)).toEqual(['a', 'new']);
    expect(forgotten).toEqual(['old', 'vanished']);
  });

  it('does nothing for an empty change', async () => {
    const touched: string[] = [];
    const ports = {
      index: async () => (touched.push('index'), []),
      documents: () => [],
      setDocuments: () => touched.push('list'),
      forget: () => touched.push('forget'),
    };
    await applyChange({ added: [], removed: [] }, ports);
    expect(touched).toEqual([]);
  });
});
