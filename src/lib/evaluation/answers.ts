// The answer figures of the RAG triad: groundedness, citation validity, answer relevance and generation latency.
import type { SentenceGrounding } from '../answer/grounding';
import { spread, type Spread } from './percentile';
import { throwIfAborted, type EvalQuestion, type RunOptions } from './runner';

/** How one question was answered: the grounding check's verdicts and which passages were shown as which number. */
export interface AnswerOutcome {
  outcome: 'done' | 'refused';
  /** The grounding check of each answer sentence (empty when refused). */
  grounding: readonly Pick<SentenceGrounding, 'reason' | 'supported' | 'cites' | 'invalidCites'>[];
  /** Chunk ids of the sources shown: source n is shown[n - 1]. */
  shown: readonly string[];
  /** The model wrote the refusal ("Your documents do not say.") instead of an answer (a prompt's own figure). */
  declined?: boolean;
  /** Generation wall time and time to first token (ms); absent when nothing was generated. */
  ms: { generate?: number; firstToken?: number };
}

export interface AnswerPort {
  answer(question: EvalQuestion, signal: AbortSignal): Promise<AnswerOutcome>;
}

export interface AnswerFigures {
  /** The answer template the answers were written with. */
  prompt: { name: string; version: number };
  questions: number;
  answered: number;
  /** Questions the relevance gate refused before any prompt was used (the same for every template version). */
  refused: number;
  /** Of the answered, those where the model declined: the figure that compares template versions. */
  declined: number;
  /** Answer sentences the grounding check scored (refusals and sentences without content words are not). */
  sentences: number;
  /** Share of those sentences the passages support (the grounding check's verdict); null when none. */
  groundedness: number | null;
  /** [n] citations in the answers. */
  citations: number;
  /** Share of the citations that name a passage the answer was given; null when nothing was cited. */
  citationValidity: number | null;
  /** Share of the answered questions (with a gold passage) whose answer cites a gold passage; null when none. */
  answerRelevance: number | null;
  latency: { generate: Spread; firstToken: Spread };
}

const UNCHECKED = new Set(['refusal', 'no-content']);

/**
 * The figures over every outcome (parallel to `questions`), pooled: groundedness over all checked sentences,
 * citation validity over all citations. A citation Lectern attributes itself ('attributed') is not the model's and
 * does not count as citing the gold passage.
 */
export function scoreAnswers(
  questions: readonly EvalQuestion[],
  outcomes: readonly AnswerOutcome[],
  prompt: { name: string; version: number },
): AnswerFigures {
  if (outcomes.length !== questions.length) throw new RangeError('one outcome per question');
  let sentences = 0;
  let supported = 0;
  let citations = 0;
  let valid = 0;
  let judgedAnswers = 0;
  let citingGold = 0;
  const generate: number[] = [];
  const firstToken: number[] = [];
  outcomes.forEach((o, i) => {
    if (o.ms.generate !== undefined) generate.push(o.ms.generate);
    if (o.ms.firstToken !== undefined) firstToken.push(o.ms.firstToken);
    if (o.outcome !== 'done') return;
    const cited = new Set<string>();
    for (const g of o.grounding) {
      citations += g.cites.length + g.invalidCites.length;
      valid += g.cites.length;
      for (const n of g.cites) if (o.shown[n - 1] !== undefined) cited.add(o.shown[n - 1]!);
      if (UNCHECKED.has(g.reason)) continue;
      sentences++;
      if (g.supported) supported++;
    }
    const gold = [...questions[i]!.judgments].filter(([, r]) => r > 0).map(([id]) => id);
    if (gold.length === 0) return;
    judgedAnswers++;
    if (gold.some((id) => cited.has(id))) citingGold++;
  });
  const answered = outcomes.filter((o) => o.outcome === 'done').length;
  const share = (a: number, b: number) => (b > 0 ? a / b : null);
  return {
    prompt,
    questions: questions.length,
    answered,
    refused: outcomes.length - answered,
    declined: outcomes.filter((o) => o.outcome === 'done' && o.declined === true).length,
    sentences,
    groundedness: share(supported, sentences),
    citations,
    citationValidity: share(valid, citations),
    answerRelevance: share(citingGold, judgedAnswers),
    latency: { generate: spread(generate), firstToken: spread(firstToken) },
  };
}

/** Answers every question through the port, one at a time, then scores them; cancellable between answers. */
export async function evaluateAnswers(
  questions: readonly EvalQuestion[],
  port: AnswerPort,
  prompt: { name: string; version: number },
  options: RunOptions = {},
): Promise<AnswerFigures> {
  const signal = options.signal ?? new AbortController().signal;
  const outcomes: AnswerOutcome[] = [];
  for (const q of questions) {
    throwIfAborted(signal);
    options.progress?.({ done: outcomes.length, total: questions.length, label: 'Answers' });
    outcomes.push(await port.answer(q, signal));
  }
  throwIfAborted(signal);
  return scoreAnswers(questions, outcomes, prompt);
}
