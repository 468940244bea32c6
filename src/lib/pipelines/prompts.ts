// Prompts measured in use: which answer template each question gets (pin or A/B), its figures, and reading them back.
import type { SentenceGrounding } from '../answer/grounding';
import {
  answerTemplate,
  assign,
  choose,
  defaultAssignment,
  isAssignment,
  type PromptAssignment,
  type PromptChoice,
} from '../answer/prompt-choice';
import { PROMPT_NAME, PROMPT_VERSION } from '../answer/prompt';
import { promptVersions, type PromptTemplate } from '../answer/prompts';
import { isNoAnswer } from '../answer/refusal';
import {
  getSetting,
  listPromptStats,
  promptStatsKey,
  recentEvalRuns,
  setSetting,
  thumbsByPrompt,
  updateSetting,
  type LecternDatabase,
  type PromptRef,
  type PromptStatsRecord,
  type PromptUse,
  type ThumbCounts,
} from '../persistence';
import type { EvalRunRecord } from '../persistence/schema';

export { promptChoices, sameChoice, type PromptAssignment, type PromptChoice } from '../answer/prompt-choice';

/** The answer template used when no choice can be read (grounded-answer v1). */
export const DEFAULT_ANSWER_PROMPT: PromptTemplate = answerTemplate(PROMPT_VERSION);

/** The settings row that keeps the assignment (the choice and its counter) across reloads. */
export const PROMPT_ASSIGNMENT_KEY = 'promptAssignment';

/** The stored assignment, or the default (v1 pinned) when none or one naming a version no longer shipped. */
export function loadPromptAssignment(db: LecternDatabase): Promise<PromptAssignment> {
  return getSetting(db, PROMPT_ASSIGNMENT_KEY, defaultAssignment(), isAssignment);
}

/** Stores a new choice; its counter starts again, so A/B begins with its first version. */
export async function savePromptChoice(db: LecternDatabase, choice: PromptChoice): Promise<PromptAssignment> {
  const next = choose(choice);
  if (!isAssignment(next)) throw new Error(`Unknown prompt choice ${JSON.stringify(choice)}.`);
  await setSetting(db, PROMPT_ASSIGNMENT_KEY, next);
  return next;
}

/**
 * The answer template for the next question, advancing the stored counter in the same transaction (so A/B alternates
 * across reloads and across tabs, never handing one slot out twice).
 */
export async function takeAnswerPrompt(db: LecternDatabase): Promise<PromptTemplate> {
  const version = await updateSetting(
    db,
    PROMPT_ASSIGNMENT_KEY,
    defaultAssignment(),
    (current) => {
      const { version, next } = assign(current);
      return { value: next, result: version };
    },
    isAssignment,
  );
  return answerTemplate(version);
}

/** Sentences the grounding check skips (not claims): they count neither for nor against the share supported. */
const UNCHECKED = new Set(['refusal', 'no-content']);

/** Share of the answer's checked sentences the passages support; null when none was checked. */
export function groundingScore(grounding: readonly Pick<SentenceGrounding, 'reason' | 'supported'>[]): number | null {
  const checked = grounding.filter((g) => !UNCHECKED.has(g.reason));
  return checked.length ? checked.filter((g) => g.supported).length / checked.length : null;
}

/** What one written answer adds to its template version's figures. */
export function answerUse(input: {
  prompt: PromptRef;
  answer: string;
  grounding: readonly Pick<SentenceGrounding, 'reason' | 'supported'>[];
  stats: { tokens: number; firstTokenMs: number; totalMs: number };
  promptTokens: number;
}): PromptUse {
  return {
    name: input.prompt.name,
    version: input.prompt.version,
    firstTokenMs: input.stats.firstTokenMs,
    totalMs: input.stats.totalMs,
    tokensIn: input.promptTokens,
    tokensOut: input.stats.tokens,
    grounding: groundingScore(input.grounding),
    refused: isNoAnswer(input.answer),
  };
}

/** A version's latest evaluation run, as far as the Prompts view shows it. */
export interface EvalVersionFigures {
  at: number;
  questions: number;
  /** Shares (0–1); null when the run could not compute them. */
  groundedness: number | null;
  answerRelevance: number | null;
  citationValidity: number | null;
  refusalRate: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The answer figures of a stored evaluation run (EvaluationReport's `answers`: prompt, questions, answered, declined,
 * groundedness, answerRelevance, citationValidity), read defensively: a run without them reads as no figures.
 */
export function evalRunAnswers(run: EvalRunRecord): (EvalVersionFigures & { prompt: PromptRef }) | null {
  const report = typeof run.report === 'object' && run.report !== null ? (run.report as Record<string, unknown>) : run;
  const a = report.answers;
  if (typeof a !== 'object' || a === null) return null;
  const answers = a as Record<string, unknown>;
  const prompt = answers.prompt as Partial<PromptRef> | undefined;
  const questions = num(answers.questions);
  if (typeof prompt?.name !== 'string' || typeof prompt.version !== 'number' || questions === null) return null;
  // The model's own refusals over the answers it wrote (the gate's refusals are the same for every version).
  const declined = num(answers.declined);
  const answered = num(answers.answered);
  return {
    prompt: { name: prompt.name, version: prompt.version },
    at: run.at,
    questions,
    groundedness: num(answers.groundedness),
    answerRelevance: num(answers.answerRelevance),
    citationValidity: num(answers.citationValidity),
    refusalRate: declined !== null && answered !== null && answered > 0 ? declined / answered : null,
  };
}

/** One answer template version's figures, side by side with the others in Settings → Prompts. */
export interface PromptVersionFigures {
  name: string;
  version: number;
  uses: number;
  /** Means over the answers that measured them; null before any. */
  firstTokenMs: number | null;
  totalMs: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  grounding: number | null;
  /** Shares of the uses; null before any use. */
  refusalRate: number | null;
  thumbsUp: number;
  thumbsDown: number;
  /** Share of rated answers rated up; null when none was rated. */
  thumbsRate: number | null;
  /** The newest evaluation run with this version, if any. */
  evaluation: EvalVersionFigures | null;
}

const mean = (m: { n: number; mean: number }) => (m.n > 0 ? m.mean : null);

/** Every answer template version the app ships, oldest first, with its figures (zero uses when never used). */
export function versionFigures(
  stats: readonly PromptStatsRecord[],
  runs: readonly EvalRunRecord[],
  thumbs: ReadonlyMap<string, ThumbCounts> = new Map(),
): PromptVersionFigures[] {
  // Runs come newest first: the first one naming a version is its latest.
  const evals = runs.flatMap((r) => evalRunAnswers(r) ?? []);
  return promptVersions(PROMPT_NAME).map(({ name, version }) => {
    const s = stats.find((r) => r.name === name && r.version === version);
    const t = thumbs.get(promptStatsKey({ name, version })) ?? { up: 0, down: 0 };
    const rated = t.up + t.down;
    const run = evals.find((e) => e.prompt.name === name && e.prompt.version === version);
    return {
      name,
      version,
      uses: s?.uses ?? 0,
      firstTokenMs: s ? mean(s.firstTokenMs) : null,
      totalMs: s ? mean(s.totalMs) : null,
      tokensIn: s ? mean(s.tokensIn) : null,
      tokensOut: s ? mean(s.tokensOut) : null,
      grounding: s ? mean(s.grounding) : null,
      refusalRate: s && s.uses > 0 ? s.refusals / s.uses : null,
      thumbsUp: t.up,
      thumbsDown: t.down,
      thumbsRate: rated > 0 ? t.up / rated : null,
      evaluation: run
        ? {
            at: run.at,
            questions: run.questions,
            groundedness: run.groundedness,
            answerRelevance: run.answerRelevance,
            citationValidity: run.citationValidity,
            refusalRate: run.refusalRate,
          }
        : null,
    };
  });
}

/** Reads the figures for the Prompts view. */
export async function loadPromptFigures(db: LecternDatabase): Promise<PromptVersionFigures[]> {
  const [stats, runs, thumbs] = await Promise.all([
    listPromptStats(db, PROMPT_NAME),
    recentEvalRuns(db),
    thumbsByPrompt(db),
  ]);
  return versionFigures(stats, runs, thumbs);
}
