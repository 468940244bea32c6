// Deep mode's rerank with fake ports: judged order, streaming, the judgment cache, stopping, estimates and failures.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import type { JudgeParams, JudgeResult } from '../../../src/lib/models/generator/types';
import type { JudgmentRecord } from '../../../src/lib/persistence/schema';
import {
  DEEP_RULE,
  FIRST_RUN_MS_PER_JUDGMENT,
  MAX_DEEP_CANDIDATES,
  deepCandidates,
  deepRerank,
  judgmentKey,
  type DeepCandidate,
  type DeepEvents,
  type DeepJudgment,
  type DeepRerankPorts,
} from '../../../src/lib/pipelines/deep-rerank';

const candidates: DeepCandidate[] = ['a', 'b', 'c', 'd'].map((id) => ({
  chunkId: `doc:${id}`,
  docId: 'doc',
  docName: 'notes.md',
  text: `Passage ${id}.`,
}));

/** P(yes) per passage text, as log-probabilities over a vocabulary (other tokens take the rest). */
function judgeFrom(p: Record<string, number>, calls: JudgeParams[], opts: { ms?: number; stopAfter?: number } = {}) {
  return async (params: JudgeParams, signal: AbortSignal, onText: (t: string) => void): Promise<JudgeResult> => {
    calls.push(params);
    if (opts.stopAfter !== undefined && calls.length > opts.stopAfter) {
      throw new AppError('ABORTED');
    }
    if (signal.aborted) throw new AppError('ABORTED');
    const user = params.messages.at(-1)!.content;
    const id = Object.keys(p).find((k) => user.includes(`Passage ${k}.`))!;
    onText('It is ');
    onText(`about ${id}.`);
    // Half the mass elsewhere in the vocabulary: the verdict uses the ratio of its own sides only.
    const verdict = { yes: [Math.log(p[id]! / 2)], no: [Math.log((1 - p[id]!) / 2)], yesIds: [5], noIds: [6] };
    return { reasoning: `It is about ${id}.`, verdict, tokens: 4, ms: opts.ms ?? 100 };
  };
}

function fakePorts(
  judge: DeepRerankPorts['judge'],
  store = new Map<string, JudgmentRecord>(),
  pace: number | null = null,
) {
  const paces: number[] = [];
  const ports: DeepRerankPorts = {
    model: 'lm@main',
    judge,
    judgments: { get: async (k) => store.get(k), put: async (r) => void store.set(r.key, r) },
    pace: { get: async () => pace, set: async (ms) => void paces.push(ms) },
    now: (() => {
      let t = 0;
      return () => (t += 1000);
    })(),
  };
  return { ports, store, paces };
}

function recorder() {
  const log: string[] = [];
  const judged = new Map<string, DeepJudgment>();
  const texts = new Map<string, string>();
  let estimate: { judge: number; cached: number; ms: number } | null = null;
  const on: DeepEvents = {
    estimate: (e) => void (estimate = e),
    start: (id) => void log.push(`start ${id}`),
    text: (id, t) => void texts.set(id, (texts.get(id) ?? '') + t),
    judged: (id, j) => void (judged.set(id, j), log.push(`judged ${id}`)),
  };
  return { on, log, judged, texts, estimate: () => estimate };
}

const req = (topN = 3) => ({ question: 'What is c?', instructions: '', candidates, topN });

describe('deepRerank', () => {
  it('judges the top N in order, streams their reasoning and reorders them by the verdicts', async () => {
    const calls: JudgeParams[] = [];
    const { ports } = fakePorts(judgeFrom({ a: 0.1, b: 0.2, c: 0.99 }, calls));
    const r = recorder();
    const out = await deepRerank(req(3), ports, r.on, new AbortController().signal);
    expect(calls).toHaveLength(3);
    expect(r.log).toEqual([
      'start doc:a',
      'judged doc:a',
      'start doc:b',
      'judged doc:b',
      'start doc:c',
      'judged doc:c',
    ]);
    expect(r.texts.get('doc:b')).toBe('It is about b.');
    expect(r.judged.get('doc:c')).toEqual({
      reasoning: 'It is about c.',
      probability: expect.closeTo(0.99, 9),
      cached: false,
    });
    // Blend (0.5 verdict + 0.5 / (1 + place)): c 0.495 + 0.167 beats a 0.05 + 0.5; d was not judged and stays last.
    expect(DEEP_RULE).toBe('blend');
    expect(out.order).toEqual(['doc:c', 'doc:a', 'doc:b', 'doc:d']);
    expect(out.stopped).toBe(false);
    expect(out.judged).toBe(3);
  });

  it('asks with the relevance-judgment prompt, the verdict cue and words, and the instructions', async () => {
    const calls: JudgeParams[] = [];
    const { ports } = fakePorts(judgeFrom({ a: 0.5, b: 0.5, c: 0.5 }, calls));
    await deepRerank({ ...req(1), instructions: 'only 2024' }, ports, recorder().on, new AbortController().signal);
    expect(calls[0]!.cue).toBe('Verdict:');
    expect(calls[0]!.verdicts).toEqual({ yes: ['yes'], no: ['no'] });
    expect(calls[0]!.messages[0]!.content).toMatch(/judge whether a passage/);
    expect(calls[0]!.messages[1]!.content).toContain('Question: What is c?\nInstructions: only 2024');
    expect(calls[0]!.messages[1]!.content).toContain('Passage a.');
  });

  it('reuses cached judgments and judges again when the question, passage text or model differ', async () => {
    const calls: JudgeParams[] = [];
    const { ports, store } = fakePorts(judgeFrom({ a: 0.1, b: 0.2, c: 0.99 }, calls));
    await deepRerank(req(3), ports, recorder().on, new AbortController().signal);
    expect(store.size).toBe(3);
    const again = recorder();
    const out = await deepRerank(req(3), ports, again.on, new AbortController().signal);
    expect(calls).toHaveLength(3);
    expect(again.estimate()).toEqual({ judge: 0, cached: 3, ms: 0 });
    expect(again.judged.get('doc:c')).toMatchObject({ reasoning: 'It is about c.', cached: true });
    expect(out.order).toEqual(['doc:c', 'doc:a', 'doc:b', 'doc:d']);
    const base = await judgmentKey('q', '', 'doc:a', 'text', 'm');
    expect(await judgmentKey('q', '', 'doc:a', 'text', 'm')).toBe(base);
    for (const other of [
      judgmentKey('q2', '', 'doc:a', 'text', 'm'),
      judgmentKey('q', 'only 2024', 'doc:a', 'text', 'm'),
      judgmentKey('q', '', 'doc:b', 'text', 'm'),
      judgmentKey('q', '', 'doc:a', 'text changed', 'm'),
      judgmentKey('q', '', 'doc:a', 'text', 'm2'),
    ])
      expect(await other).not.toBe(base);
    expect([...store.values()][0]).toMatchObject({ docId: 'doc', model: 'lm@main', prompt: 'relevance-judgment@1' });
  });

  it('estimates from the measured pace (the first-run default before any) and stores the new pace', async () => {
    const first = fakePorts(judgeFrom({ a: 0.5, b: 0.5 }, [], { ms: 250 }));
    const r = recorder();
    await deepRerank(req(2), first.ports, r.on, new AbortController().signal);
    expect(r.estimate()).toEqual({ judge: 2, cached: 0, ms: 2 * FIRST_RUN_MS_PER_JUDGMENT.webgpu });
    // On WASM the first run's estimate is WASM's.
    const onWasm = fakePorts(judgeFrom({ a: 0.5, b: 0.5 }, []));
    const r1 = recorder();
    await deepRerank(req(2), { ...onWasm.ports, device: 'wasm' }, r1.on, new AbortController().signal);
    expect(r1.estimate()).toEqual({ judge: 2, cached: 0, ms: 2 * FIRST_RUN_MS_PER_JUDGMENT.wasm });
    expect(first.paces).toEqual([250]);
    const measured = fakePorts(judgeFrom({ a: 0.5, b: 0.5 }, []), new Map(), 700);
    const r2 = recorder();
    const out = await deepRerank(req(2), measured.ports, r2.on, new AbortController().signal);
    expect(r2.estimate()).toEqual({ judge: 2, cached: 0, ms: 1400 });
    expect(out.ms).toBeGreaterThan(0);
  });

  it('stopped, keeps the judged ones and the earlier order for the rest', async () => {
    const calls: JudgeParams[] = [];
    const stop = new AbortController();
    const judge = judgeFrom({ a: 0.01, b: 0.99, c: 0.99 }, calls);
    const { ports, store } = fakePorts(async (p, s, t) => {
      const out = await judge(p, s, t);
      if (calls.length === 2) stop.abort();
      return out;
    });
    const r = recorder();
    const out = await deepRerank(req(4), ports, r.on, stop.signal);
    expect(out.stopped).toBe(true);
    expect(calls).toHaveLength(2);
    expect([...out.verdicts.keys()]).toEqual(['doc:a', 'doc:b']);
    // b (0.495 + 0.25) passes a (0.005 + 0.5); c and d were never judged and follow in their earlier order.
    expect(out.order).toEqual(['doc:b', 'doc:a', 'doc:c', 'doc:d']);
    expect(store.size).toBe(2);
  });

  it('treats a judge aborted mid-reasoning as a stop, not a failure', async () => {
    const { ports } = fakePorts(judgeFrom({ a: 0.2, b: 0.9 }, [], { stopAfter: 1 }));
    const out = await deepRerank(req(3), ports, recorder().on, new AbortController().signal);
    expect(out.stopped).toBe(true);
    expect(out.order).toEqual(['doc:a', 'doc:b', 'doc:c', 'doc:d']);
  });

  it('ends on a model failure part-way: what was judged counts, the rest keep their place, and it says why', async () => {
    const calls: JudgeParams[] = [];
    const judge = judgeFrom({ a: 0.1, b: 0.9, c: 0.95 }, calls);
    const failing = fakePorts(async (p, s, t) => {
      if (calls.length === 2) throw new Error('wasm memory access out of bounds');
      return judge(p, s, t);
    });
    const out = await deepRerank(req(3), failing.ports, recorder().on, new AbortController().signal);
    expect(out.stopped).toBe(false);
    expect(out.failed).toMatchObject({ code: 'MODEL_RUN_FAILED' });
    expect(out.judged).toBe(2);
    // c was never judged: it keeps its place after the judged ones' reordering.
    expect(out.order).toEqual(['doc:b', 'doc:a', 'doc:c', 'doc:d']);
    expect(failing.store.size).toBe(2);
  });

  it('leaves a candidate whose verdict could not be read in its earlier place', async () => {
    const judge = judgeFrom({ a: 0.5, b: 0.9 }, []);
    const { ports, store } = fakePorts(async (p, s, t) => {
      const out = await judge(p, s, t);
      return p.messages.at(-1)!.content.includes('Passage a.')
        ? { ...out, verdict: { yes: [], no: [-1], yesIds: [], noIds: [6] } }
        : out;
    });
    const r = recorder();
    const out = await deepRerank(req(2), ports, r.on, new AbortController().signal);
    expect(r.judged.get('doc:a')?.probability).toBeNull();
    expect([...out.verdicts.keys()]).toEqual(['doc:b']);
    expect(out.order).toEqual(['doc:b', 'doc:a', 'doc:c', 'doc:d']);
    expect(store.size).toBe(1);
  });
});

describe('deepCandidates', () => {
  it('reads the setting as a whole number from 1 to the most (an imported setting cannot ask for the whole library)', () => {
    expect(deepCandidates(1e6)).toBe(MAX_DEEP_CANDIDATES);
    expect(deepCandidates(0)).toBe(1);
    expect(deepCandidates(7.4)).toBe(7);
    expect(deepCandidates(Number.NaN)).toBe(10);
    expect(deepCandidates(undefined)).toBe(10);
  });
});
