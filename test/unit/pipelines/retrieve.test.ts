// The retrieve pipeline with in-thread fakes: query embedding, multi-query fusion, rerank and final order, best cosine.
import { describe, expect, it } from 'vitest';
import { retrieve, type RetrievePorts } from '../../../src/lib/pipelines/retrieve';
import type {
  RerankHit,
  RerankParams,
  RetrieveRequest,
  SearchHit,
  SearchParams,
} from '../../../src/lib/retrieval/search-types';
import { fakeEmbedder, fakeLate } from './fakes';

const hit = (id: string, score: number, dense: number | null, keyword: number | null): SearchHit => ({
  id,
  score,
  dense: dense === null ? null : { rank: 1, score: dense },
  keyword: keyword === null ? null : { rank: 1, score: keyword },
});

const rerankHit = (id: string, meanScore: number): RerankHit => ({
  id,
  score: meanScore * 4,
  meanScore,
  relevance: Number.isFinite(meanScore) ? meanScore + 0.01 : meanScore,
  matches: [],
  docTokens: [id],
});

function request(patch: Partial<RetrieveRequest> = {}): RetrieveRequest {
  return {
    queries: ['fresnel lens'],
    instructions: '',
    candidates: 10,
    topK: 3,
    filters: {},
    weights: { dense: 1, keyword: 1 },
    rerank: null,
    ...patch,
  };
}

interface Seen {
  searches: SearchParams[];
  reranks: RerankParams[];
  embedded: { texts: string[]; kind: string }[];
}

function ports(
  lists: Record<string, SearchHit[]>,
  rerank: (p: RerankParams) => RerankHit[] = () => [],
  options: { dense?: boolean; late?: boolean } = {},
): RetrievePorts & { seen: Seen } {
  const seen: Seen = { searches: [], reranks: [], embedded: [] };
  return {
    seen,
    embedder: options.dense === false ? null : fakeEmbedder(seen.embedded),
    late: options.late === false ? null : fakeLate(),
    search: async (p) => {
      seen.searches.push(p);
      return lists[p.text] ?? [];
    },
    rerank: async (p) => {
      seen.reranks.push(p);
      return { hits: rerank(p), device: 'cpu', gpuFailure: p.gpu ? 'WebGPU failed while scoring.' : null };
    },
  };
}

const signal = new AbortController().signal;

describe('retrieve pipeline', () => {
  it('keyword-only embeds nothing and asks for keywords only (the BM25-only evaluation)', async () => {
    const p = ports({ 'fresnel lens': [hit('a', 0.03, null, 2)] });
    const found = await retrieve(request({ only: 'keyword' }), p, signal);
    expect(p.seen.embedded).toEqual([]);
    expect(p.seen.searches[0]!.vector).toBeNull();
    expect(p.seen.searches[0]!.only).toBe('keyword');
    expect(found.dense).toBe(false);
    expect(found.trace?.ms.embed).toBe(0);
  });

  it('a dense weight of 0 still embeds the query (the chat setting only weighs the fusion)', async () => {
    const p = ports({ 'fresnel lens': [hit('a', 0.03, 0.8, 2)] });
    const found = await retrieve(request({ weights: { dense: 0, keyword: 1 } }), p, signal);
    expect(p.seen.embedded).toHaveLength(1);
    expect(p.seen.searches[0]!.only).toBeUndefined();
    expect(found.dense).toBe(true);
  });

  it('without a reranker keeps the first-stage order, cut to topK, with the scores shown', async () => {
    const p = ports({
      'fresnel lens': [
        hit('a', 0.03, 0.8, 2),
        hit('b', 0.02, null, 1),
        hit('c', 0.01, 0.5, null),
        hit('d', 0.005, 0.4, null),
      ],
    });
    const out = await retrieve(request(), p, signal);
    expect(out).toMatchObject({ found: 4, dense: true, reranked: null });
    expect(out.passages.map((x) => [x.id, x.score, x.relevance, x.bestDense, x.keywordScore])).toEqual([
      ['a', 0.03, null, 0.8, 2],
      ['b', 0.02, null, null, 1],
      ['c', 0.01, null, 0.5, null],
    ]);
    expect(p.seen.reranks).toEqual([]);
    expect(p.seen.searches[0]!.vector).toHaveLength(4);
  });

  it('embeds each query with the instructions, searches its text as asked, and fuses the lists', async () => {
    const p = ports({
      'fresnel lens': [hit('a', 0.03, 0.6, 1), hit('b', 0.02, 0.5, null)],
      'lighthouse optics': [hit('b', 0.03, 0.9, null), hit('c', 0.02, 0.4, null)],
    });
    const out = await retrieve(
      request({ queries: ['fresnel lens', 'lighthouse optics'], instructions: 'Prefer history.' }),
      p,
      signal,
    );
    expect(p.seen.embedded.map((e) => [e.texts, e.kind])).toEqual([
      [['fresnel lens Prefer history.'], 'query'],
      [['lighthouse optics Prefer history.'], 'query'],
    ]);
    expect(p.seen.searches.map((s) => s.text)).toEqual(['fresnel lens', 'lighthouse optics']);
    // b is in both lists: first after fusion, and its cosine for the gate is its best over both queries.
    expect(out.passages[0]!.id).toBe('b');
    expect(out.passages[0]!.bestDense).toBe(0.9);
    expect(out.found).toBe(3);
  });

  it('searches keywords only without an embedder', async () => {
    const p = ports({ 'fresnel lens': [hit('a', 0.03, null, 2)] }, undefined, { dense: false });
    const out = await retrieve(request(), p, signal);
    expect(p.seen.searches[0]!.vector).toBeNull();
    expect(out.dense).toBe(false);
  });

  it('reranks every candidate with the first query, then fuses with the first stage (finalOrder)', async () => {
    const first = ['a', 'b', 'c', 'd', 'e'].map((id, i) => hit(id, 0.05 - i / 100, 0.9 - i / 10, null));
    // The reranker puts e first and cannot score d (no token vectors).
    const p = ports({ 'fresnel lens': first }, () => [
      rerankHit('e', 0.9),
      rerankHit('a', 0.8),
      rerankHit('c', 0.5),
      rerankHit('b', 0.4),
      rerankHit('d', -Infinity),
    ]);
    const out = await retrieve(
      request({ queries: ['fresnel lens', 'other words'], rerank: { gpu: false, skip: ['?'] } }),
      p,
      signal,
    );
    expect(p.seen.reranks).toHaveLength(1);
    expect(p.seen.reranks[0]).toMatchObject({ ids: ['a', 'b', 'c', 'd', 'e'], topK: 5, skip: ['?'], gpu: false });
    expect(p.seen.reranks[0]!.query.tokenTexts).toEqual(['[CLS]', 'fresnel']);
    expect(out.reranked).toBe('cpu');
    expect(out.gpuFailure).toBeNull();
    // Weighted RRF (rerank 2, search 1): a is 2nd and 1st, e 1st and 5th, c 3rd and 3rd; d gets only its search share.
    expect(out.passages.map((x) => x.id)).toEqual(['a', 'e', 'c']);
    expect(out.passages[1]).toMatchObject({ score: 0.9, relevance: 0.91, docTokens: ['e'], bestDense: 0.5 });
  });

  it('does not rerank when nothing was found or no reranker is attached', async () => {
    const empty = ports({});
    expect(await retrieve(request({ rerank: { gpu: false, skip: [] } }), empty, signal)).toMatchObject({
      found: 0,
      passages: [],
      reranked: null,
    });
    const gpu = ports({ 'fresnel lens': [hit('a', 0.03, 0.8, 2)] }, () => [rerankHit('a', 0.5)]);
    expect(await retrieve(request({ rerank: { gpu: true, skip: [] } }), gpu, signal)).toMatchObject({
      reranked: 'cpu',
      gpuFailure: 'WebGPU failed while scoring.',
    });
    const noLate = ports({ 'fresnel lens': [hit('a', 0.03, 0.8, 2)] }, undefined, { late: false });
    expect((await retrieve(request({ rerank: { gpu: false, skip: [] } }), noLate, signal)).reranked).toBeNull();
    expect(empty.seen.reranks).toEqual([]);
    expect(noLate.seen.reranks).toEqual([]);
  });
});
