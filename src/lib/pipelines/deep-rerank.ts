// Deep mode: the generator reasons about each of the top candidates and its verdict tokens' probabilities reorder them.
import { relevanceJudgmentV1, renderPrompt, VERDICT_CUE } from '../answer/prompts';
import { AppError, isAbortError, toAppError } from '../errors';
import { sha256Hex } from '../ingest/hash';
import type { JudgeParams, JudgeResult } from '../models/generator/types';
import type { JudgmentRecord } from '../persistence/schema';
import { orderByVerdict, verdictProbability, type VerdictRule } from '../retrieval/verdict';
import type { Source } from './turn';

/**
 * How verdicts and the earlier order combine: 'blend', the rule that lost least in eval's deep mode rows (SciFact, 100
 * queries, hybrid top 5 judged by SmolLM2-135M q4 on WASM: nDCG@10 0.665 without deep mode, blend 0.664, fusion 0.576,
 * verdict 0.489). No rule helps with this model, so deep mode stays off by default; measure again with a larger LM.
 */
export const DEEP_RULE: VerdictRule = 'blend';
/** How many of the top candidates are judged unless Settings say otherwise. */
export const DEEP_CANDIDATES = 10;
/** Most candidates deep mode judges (Settings offer up to this; an imported setting is clamped to it). */
export const MAX_DEEP_CANDIDATES = 30;
/** The number of candidates to judge from the setting: a whole number from 1 to the most, the default when unset or invalid. */
export function deepCandidates(setting: number | null | undefined): number {
  return typeof setting === 'number' && Number.isFinite(setting)
    ? Math.min(MAX_DEEP_CANDIDATES, Math.max(1, Math.round(setting)))
    : DEEP_CANDIDATES;
}

/**
 * The reasoning's token cap: the prompt asks for at most three short sentences. It changes the verdicts, and the
 * judgment key names only the prompt's version: change it (or VERDICT_WORDS) with a new relevance-judgment version.
 */
export const REASONING_TOKENS = 96;
/**
 * The estimate before this device has measured one judgment, by device. WASM: SmolLM2-135M q4 judged a SciFact abstract
 * in 40–60 s on this project's 2-core machine (eval --deep); WebGPU has not been measured on a real GPU here.
 */
export const FIRST_RUN_MS_PER_JUDGMENT = { webgpu: 4000, wasm: 45_000 } as const;
/** The words of each verdict; their token ids come from the model's tokenizer. */
export const VERDICT_WORDS = { yes: ['yes'], no: ['no'] };

const PROMPT = `${relevanceJudgmentV1.name}@${relevanceJudgmentV1.version}`;

export interface DeepCandidate {
  chunkId: string;
  docId: string;
  docName: string;
  text: string;
}

export interface DeepRequest {
  question: string;
  /** The user's search instructions; empty when none. */
  instructions: string;
  /** Every candidate in the earlier stages' order. */
  candidates: DeepCandidate[];
  /** How many of the first candidates are judged. */
  topN: number;
  rule?: VerdictRule;
}

export interface DeepRerankPorts {
  /** The generator's model key (part of the cache key: another model judges again). */
  model: string;
  judge(params: JudgeParams, signal: AbortSignal, onText: (text: string) => void): Promise<JudgeResult>;
  /** Deep mode's cache of judgments (the `judgments` store). */
  judgments: {
    get(key: string): Promise<JudgmentRecord | undefined>;
    put(record: JudgmentRecord): Promise<void>;
  };
  /** Milliseconds per judgment measured on this device for this model, null before the first. */
  pace: { get(): Promise<number | null>; set(msPerJudgment: number): Promise<void> };
  /** Where the model runs, for the first run's estimate (absent: WebGPU's). */
  device?: keyof typeof FIRST_RUN_MS_PER_JUDGMENT;
  now?(): number;
}

/** One judgment as shown: the reasoning and the verdict probability (null: the verdict tokens could not be read). */
export interface DeepJudgment {
  reasoning: string;
  probability: number | null;
  cached: boolean;
}

export interface DeepEvents {
  /** Before judging: how many candidates will be judged afresh (the rest come from the cache), and how long that takes. */
  estimate(e: { judge: number; cached: number; ms: number }): void;
  /** A candidate's judgment began (its reasoning streams next). */
  start(chunkId: string): void;
  text(chunkId: string, piece: string): void;
  judged(chunkId: string, judgment: DeepJudgment): void;
}

export interface DeepOutcome {
  /** Every candidate's chunk id in the final order. */
  order: string[];
  verdicts: Map<string, number>;
  /** The stage was stopped: the judged ones count, the rest keep the earlier order. */
  stopped: boolean;
  /** The model failed part-way (not a Stop): the judged ones count, the rest keep the earlier order. */
  failed?: AppError;
  /** Candidates judged (fresh and cached), and the stage's time. */
  judged: number;
  ms: number;
}

/** The cache key: a hash of the question, the instructions, the chunk, its text's hash, the model and the prompt. */
export async function judgmentKey(
  question: string,
  instructions: string,
  chunkId: string,
  text: string,
  model: string,
): Promise<string> {
  return sha256Hex(JSON.stringify([question, instructions, chunkId, await sha256Hex(text), model, PROMPT]));
}

/** The judge prompt's messages for one candidate. */
export function judgeMessages(question: string, instructions: string, c: DeepCandidate): JudgeParams['messages'] {
  return renderPrompt(relevanceJudgmentV1, {
    question,
    instructions: instructions.trim() || '(none)',
    passage: [{ n: 1, source: c.docName, text: c.text }],
  });
}

/** The verdict probability from the judge's log-probabilities (the same rule as for full logits). */
function probabilityOf(result: JudgeResult): number | null {
  const { yes, no } = result.verdict;
  const at = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i);
  return verdictProbability([...yes, ...no], at(yes.length, 0), at(no.length, yes.length));
}

/**
 * Judges the first `topN` candidates (cached judgments are reused), streaming each one's reasoning, and orders every
 * candidate by the rule. `signal` stops the stage: what was judged counts and the rest keep their earlier order. A
 * model failure part-way ends the stage the same way, with `failed` saying why: deep mode is an extra, and the
 * question goes on with the earlier order rather than failing. The cache and the pace are best effort.
 */
export async function deepRerank(
  req: DeepRequest,
  ports: DeepRerankPorts,
  on: DeepEvents,
  signal: AbortSignal,
): Promise<DeepOutcome> {
  const now = ports.now ?? (() => performance.now());
  const started = now();
  const judged = req.candidates.slice(0, Math.max(0, req.topN));
  const keys = await Promise.all(
    judged.map((c) => judgmentKey(req.question, req.instructions, c.chunkId, c.text, ports.model)),
  );
  // The cache and the pace are best effort: storage that fails (a full quota) judges afresh, with the first-run pace.
  const cached = await Promise.all(keys.map((k) => ports.judgments.get(k).catch(() => undefined)));
  const fresh = cached.filter((r) => !r).length;
  const pace = (await ports.pace.get().catch(() => null)) ?? FIRST_RUN_MS_PER_JUDGMENT[ports.device ?? 'webgpu'];
  on.estimate({ judge: fresh, cached: judged.length - fresh, ms: fresh * pace });

  const verdicts = new Map<string, number>();
  let stopped = false;
  let failed: AppError | undefined;
  let count = 0;
  const spent: number[] = [];
  for (const [i, c] of judged.entries()) {
    if (signal.aborted) {
      stopped = true;
      break;
    }
    const hit = cached[i];
    if (hit) {
      verdicts.set(c.chunkId, hit.probability);
      on.judged(c.chunkId, { reasoning: hit.reasoning, probability: hit.probability, cached: true });
      count++;
      continue;
    }
    on.start(c.chunkId);
    let result: JudgeResult;
    try {
      result = await ports.judge(
        {
          messages: judgeMessages(req.question, req.instructions, c),
          maxReasoningTokens: REASONING_TOKENS,
          cue: VERDICT_CUE,
          verdicts: VERDICT_WORDS,
        },
        signal,
        (piece) => on.text(c.chunkId, piece),
      );
    } catch (err) {
      if (!isAbortError(err) && !signal.aborted) failed = toAppError(err, 'MODEL_RUN_FAILED');
      else stopped = true;
      break;
    }
    spent.push(result.ms);
    const probability = probabilityOf(result);
    on.judged(c.chunkId, { reasoning: result.reasoning, probability, cached: false });
    count++;
    if (probability === null) continue;
    verdicts.set(c.chunkId, probability);
    await ports.judgments
      .put({
        key: keys[i]!,
        chunkId: c.chunkId,
        docId: c.docId,
        model: ports.model,
        prompt: PROMPT,
        probability,
        reasoning: result.reasoning,
        at: Date.now(),
      })
      .catch(() => {});
  }
  if (spent.length) await ports.pace.set(spent.reduce((a, b) => a + b, 0) / spent.length).catch(() => {});
  const order = orderByVerdict(
    req.candidates.map((c) => c.chunkId),
    verdicts,
    req.rule ?? DEEP_RULE,
  );
  return { order, verdicts, stopped, ...(failed && { failed }), judged: count, ms: now() - started };
}

/** The stage's events as the chat shows them: the judgments, and the stage's time once it ended. */
export interface DeepStageEvents extends DeepEvents {
  /** `failed`: the model failed part-way, in plain words; the rest kept the earlier order. */
  done(stage: { ms: number; stopped: boolean; judged: number; failed?: string }): void;
}

/**
 * The ask pipeline's deep stage: judges the first `topN` sources and returns every source in the final order,
 * renumbered from 1, the judged ones carrying their judgment. The stage's Stop keeps what was judged; stopping the
 * whole question throws ABORTED.
 */
export async function deepStage(
  req: { question: string; instructions: string; topN: number; stop?: AbortSignal },
  sources: Source[],
  /** Opens deep mode's ports (loads the answer model); a failure leaves the search order and says why. */
  ports: () => Promise<DeepRerankPorts>,
  on: DeepStageEvents,
  signal: AbortSignal,
): Promise<Source[]> {
  const found = new Map<string, DeepJudgment>();
  const events: DeepEvents = {
    ...on,
    judged: (id, judgment) => {
      found.set(id, judgment);
      on.judged(id, judgment);
    },
  };
  const stage = req.stop ? AbortSignal.any([signal, req.stop]) : signal;
  const { question, instructions, topN } = req;
  let opened: DeepRerankPorts;
  try {
    opened = await ports();
  } catch (err) {
    // The answer model could not load for deep mode: the question goes on with the search order, saying why.
    if (isAbortError(err) || signal.aborted) throw new AppError('ABORTED');
    on.estimate({ judge: 0, cached: 0, ms: 0 });
    on.done({ ms: 0, stopped: false, judged: 0, failed: toAppError(err, 'MODEL_RUN_FAILED').message });
    return [...sources];
  }
  const out = await deepRerank({ question, instructions, topN, candidates: sources }, opened, events, stage);
  if (signal.aborted) throw new AppError('ABORTED');
  on.done({
    ms: out.ms,
    stopped: out.stopped,
    judged: out.judged,
    ...(out.failed && { failed: out.failed.message }),
  });
  const byId = new Map(sources.map((s) => [s.chunkId, s]));
  const judgedIds = new Set(sources.slice(0, Math.max(0, req.topN)).map((s) => s.chunkId));
  return out.order.map((id, i) => {
    const { deep: _earlier, ...source } = byId.get(id)!;
    const j = found.get(id);
    if (j)
      return {
        ...source,
        n: i + 1,
        deep: { reasoning: j.reasoning, probability: j.probability, state: 'done', cached: j.cached },
      };
    return judgedIds.has(id)
      ? { ...source, n: i + 1, deep: { reasoning: '', probability: null, state: 'stopped' } }
      : { ...source, n: i + 1 };
  });
}
