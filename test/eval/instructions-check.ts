// The instruction-following check (#15): BEIR queries given "exclude documents that mention X", X taken by rule from a relevant document; FollowIR's p-MRR per path.
//
// The check, judged by rule from the data and never by a model:
// - For each sampled query, X is a word of its first relevant document (by id): letters only, at least 5 of them,
//   not a word of the query, in at most MAX_TERM_DF documents of the corpus and at least 2 (the most common such
//   word, ties alphabetical, so the instruction also removes some documents that were not relevant).
// - The instruction is `exclude documents that mention "X"`. Every relevant document holding X as a whole word
//   (retrieval/negative-terms.ts's rule) becomes irrelevant under it: those are the query's changed documents.
// - p-MRR (Weller et al., FollowIR, 2024) per changed document, from its rank without (R_og) and with (R_new) the
//   instruction: R_new / R_og − 1 when it moved up (R_og > R_new), 1 − R_og / R_new otherwise. A document ranked
//   below DEPTH, or removed, has rank DEPTH + 1. Averaged over a query's changed documents, then over the queries:
//   +1 means every such document left the ranking, 0 no change, −1 that they all rose to the top.
//
// Paths (the three ways an instruction acts):
// - query: the instruction written into the query. The app does this only for embedders whose registry entry says
//   they accept instructions; the evaluated embedder may not, and then this row shows plain concatenation.
// - filters: the generator turns the instruction into filters with the app's prompt (instruction-filters v1) and
//   parser; its negative terms drop hits from the ranking without the instruction (dropNegativeHits).
// - combined: the filters' negative terms applied to the query path's ranking.
// - deep (with --deep-candidates N): the app's deep stage judges the first N of the ranking without the instruction,
//   with the instruction in the judgment prompt, ordered by the app's rule (DEEP_RULE). Its baseline is the same stage
//   judging without the instruction, so the row shows what the instruction does, not what deep mode does anyway.
// - all: the deep stage, with the instruction, over the combined ranking (all three paths), against the same baseline.
// The filters path's p-MRR follows from whether the model names the word (`termFound`): the rule that marks a
// document changed is the rule its negative terms apply. What it can get wrong is excluding more than asked, which
// `keptInTop10` shows.
import { parseInstructionFilters, instructionFiltersVars } from '../../src/lib/answer/instruction-filters';
import { instructionFiltersV1, renderPrompt } from '../../src/lib/answer/prompts';
import type { EvalQuestion } from '../../src/lib/evaluation';
import { FILTER_TOKENS } from '../../src/lib/pipelines/instruction-step';
import { DEEP_RULE } from '../../src/lib/pipelines/deep-rerank';
import { dropNegativeHits, findNegativeTerm, wordsOf } from '../../src/lib/retrieval/negative-terms';
import { orderByVerdict } from '../../src/lib/retrieval/verdict';
import { sampleQuestions, type RankingJudge } from './deep';
import type { EvalDoc, GeneratorBackend, Searcher } from './searchers';

/** Ranks counted; a document below them, or removed, ranks DEPTH + 1. */
export const DEPTH = 1000;
/** The excluded word appears in at most this many documents (it names a topic, not the corpus). */
export const MAX_TERM_DF = 100;
/** The prompt's "today"; fixed so the check renders the same prompt every run. */
const TODAY = new Date(2026, 11, 1);
const LETTERS = /^[a-z]{5,}$/;

export interface InstructionCase {
  id: string;
  query: string;
  term: string;
  instruction: string;
  /** Relevant documents that hold the term: irrelevant under the instruction. */
  changed: string[];
  /** Relevant documents that do not: still relevant. */
  kept: string[];
}

/** Document frequency of each letters-only word of 5+ letters. */
function documentFrequencies(corpus: readonly EvalDoc[]): Map<string, number> {
  const df = new Map<string, number>();
  for (const d of corpus) {
    for (const w of new Set(wordsOf(`${d.title} ${d.text}`))) if (LETTERS.test(w)) df.set(w, (df.get(w) ?? 0) + 1);
  }
  return df;
}

/** Up to `n` cases from the questions, in a seeded order; a question with no usable word is passed over. */
export function buildInstructionCases(
  corpus: readonly EvalDoc[],
  questions: readonly EvalQuestion[],
  n: number,
  seed = 1,
): InstructionCase[] {
  const byId = new Map(corpus.map((d) => [d.id, d]));
  const df = documentFrequencies(corpus);
  const cases: InstructionCase[] = [];
  for (const q of sampleQuestions(questions, questions.length, seed)) {
    if (cases.length >= n) break;
    const relevant = [...q.judgments]
      .filter(([, grade]) => grade > 0)
      .map(([id]) => id)
      .filter((id) => byId.has(id))
      .sort();
    const first = relevant[0] === undefined ? undefined : byId.get(relevant[0]);
    if (!first) continue;
    const asked = new Set(wordsOf(q.text));
    let term: string | null = null;
    let best = 0;
    for (const w of new Set(wordsOf(`${first.title} ${first.text}`))) {
      const f = df.get(w) ?? 0;
      if (!LETTERS.test(w) || asked.has(w) || f < 2 || f > MAX_TERM_DF) continue;
      if (f > best || (f === best && term !== null && w < term)) [term, best] = [w, f];
    }
    if (term === null) continue;
    const holds = (id: string) => {
      const d = byId.get(id)!;
      return findNegativeTerm(`${d.title} ${d.text}`, [term]) !== null;
    };
    cases.push({
      id: q.id,
      query: q.text,
      term,
      instruction: `exclude documents that mention "${term}"`,
      changed: relevant.filter(holds),
      kept: relevant.filter((id) => !holds(id)),
    });
  }
  return cases;
}

/** FollowIR's p-MRR for one document from its ranks (1-based) without and with the instruction. */
export function pmrr(rankOriginal: number, rankNew: number): number {
  return rankOriginal > rankNew ? rankNew / rankOriginal - 1 : 1 - rankOriginal / rankNew;
}

/** 1-based rank of each id in `ranked`, DEPTH + 1 when absent or below DEPTH. */
function rankOf(ranked: readonly string[], id: string): number {
  const i = ranked.indexOf(id);
  return i < 0 || i >= DEPTH ? DEPTH + 1 : i + 1;
}

/** Mean p-MRR of a query's changed documents between two rankings. */
export function queryPmrr(changed: readonly string[], original: readonly string[], instructed: readonly string[]) {
  if (changed.length === 0) return 0;
  return changed.reduce((s, id) => s + pmrr(rankOf(original, id), rankOf(instructed, id)), 0) / changed.length;
}

export interface PathFigures {
  pMrr: number;
  /** Share of the changed documents still in the top 10 with the instruction (without it: `baseline`). */
  changedInTop10: number | null;
  /**
   * Share of the kept documents (relevant, without the word) in the top 10: p-MRR alone does not see a path that
   * removes good documents too (a model that excludes extra words). Null when there are no such documents.
   */
  keptInTop10: number | null;
}

export interface InstructionCheckResult {
  queries: number;
  changedDocuments: number;
  keptDocuments: number;
  /** Shares of the changed and the kept documents in the top 10 without the instruction. */
  baselineChangedInTop10: number | null;
  baselineKeptInTop10: number | null;
  query: PathFigures;
  filters: PathFigures & {
    /** Outputs the parser refused (no usable JSON), outputs whose negative terms include the rule's word. */
    invalid: number;
    /** The parser's reasons for the invalid outputs, counted. */
    invalidWhy: Record<string, number>;
    termFound: number;
    /** Milliseconds per instruction for the generator's filters, p50. */
    msP50: number;
  };
  combined: PathFigures;
  /** With --deep-candidates: the deep stage's rows (their baseline is the stage without the instruction). */
  deep?: PathFigures & {
    candidates: number;
    baselineChangedInTop10: number | null;
    msPerJudgmentP50: number;
    /** Judgments without a readable verdict, and those read from --judgments-cache rather than made in this run. */
    unreadable: number;
    reused: number;
  };
  all?: PathFigures;
}

function inTop10(
  cases: readonly InstructionCase[],
  rankings: readonly string[][],
  which: 'changed' | 'kept' = 'changed',
): number | null {
  let n = 0;
  let total = 0;
  cases.forEach((c, i) => {
    for (const id of c[which]) {
      total++;
      if (rankOf(rankings[i]!, id) <= 10) n++;
    }
  });
  return total ? n / total : null;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * Runs the cases through `searcher` (already indexed) and, for the filters path, `generator`; `log` hears progress.
 * Every ranking leaves out the query's own id, as the evaluation does.
 */
export async function runInstructionCheck(
  cases: readonly InstructionCase[],
  corpus: readonly EvalDoc[],
  searcher: Searcher,
  generator: GeneratorBackend,
  log: (line: string) => void = () => {},
  deep?: { judge: RankingJudge; candidates: number },
): Promise<InstructionCheckResult> {
  const text = new Map(corpus.map((d) => [d.id, `${d.title} ${d.text}`]));
  const rank = async (q: string, self: string) =>
    (await searcher.search(q, DEPTH)).map((h) => h.id).filter((id) => id !== self);
  const original: string[][] = [];
  const queried: string[][] = [];
  const filtered: string[][] = [];
  const combined: string[][] = [];
  const deepBase: string[][] = [];
  const deepRanked: string[][] = [];
  const allRanked: string[][] = [];
  const judgmentMs: number[] = [];
  let invalid = 0;
  const invalidWhy: Record<string, number> = {};
  let termFound = 0;
  const ms: number[] = [];
  for (const [i, c] of cases.entries()) {
    const og = await rank(c.query, c.id);
    const withInstruction = await rank(`${c.query} ${c.instruction}`, c.id);
    const t = performance.now();
    const out = await generator.complete(
      renderPrompt(instructionFiltersV1, instructionFiltersVars(c.instruction, [], TODAY)),
      FILTER_TOKENS,
    );
    ms.push(performance.now() - t);
    const parsed = parseInstructionFilters(out, { documents: [], question: c.query });
    const terms = parsed.ok ? parsed.value.negativeTerms : [];
    if (!parsed.ok) {
      invalid++;
      const why = String(parsed.error.details?.why ?? parsed.error.code);
      invalidWhy[why] = (invalidWhy[why] ?? 0) + 1;
      log(`instructions: invalid (${why}): ${JSON.stringify(out.slice(0, 300))}`);
    }
    if (terms.some((x) => x.toLowerCase() === c.term)) termFound++;
    const drop = (ranked: string[]) => dropNegativeHits(ranked, (id) => text.get(id), terms).kept;
    original.push(og);
    queried.push(withInstruction);
    filtered.push(drop(og));
    combined.push(drop(withInstruction));
    if (deep) {
      const { judge, candidates: n } = deep;
      const order = async (ranked: string[], instructions: string) => {
        const { verdicts, spent } = await judge.judge(c.query, instructions, ranked, n);
        judgmentMs.push(...spent);
        return orderByVerdict(ranked, verdicts, DEEP_RULE);
      };
      deepBase.push(await order(og, ''));
      deepRanked.push(await order(og, c.instruction));
      allRanked.push(await order(combined.at(-1)!, c.instruction));
    }
    log(`instructions: ${i + 1}/${cases.length} "${c.term}" → ${parsed.ok ? JSON.stringify(terms) : 'invalid'}`);
  }
  const figures = (rankings: string[][], baseline = original): PathFigures => ({
    pMrr: mean(cases.map((c, i) => queryPmrr(c.changed, baseline[i]!, rankings[i]!))),
    changedInTop10: inTop10(cases, rankings),
    keptInTop10: inTop10(cases, rankings, 'kept'),
  });
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    queries: cases.length,
    changedDocuments: cases.reduce((s, c) => s + c.changed.length, 0),
    keptDocuments: cases.reduce((s, c) => s + c.kept.length, 0),
    baselineChangedInTop10: inTop10(cases, original),
    baselineKeptInTop10: inTop10(cases, original, 'kept'),
    query: figures(queried),
    filters: {
      ...figures(filtered),
      invalid,
      invalidWhy,
      termFound,
      msP50: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0,
    },
    combined: figures(combined),
    ...(deep && {
      deep: {
        ...figures(deepRanked, deepBase),
        candidates: deep.candidates,
        unreadable: deep.judge.unreadable,
        reused: deep.judge.reused,
        baselineChangedInTop10: inTop10(cases, deepBase),
        msPerJudgmentP50: judgmentMs.length
          ? [...judgmentMs].sort((a, b) => a - b)[Math.floor((judgmentMs.length - 1) / 2)]!
          : 0,
      },
      all: figures(allRanked, deepBase),
    }),
  };
}
