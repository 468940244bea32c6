// Fits a grounded prompt into the model's context window, deciding which history and passages to send.
//
// Policy, in order, until the prompt plus the answer budget fits the context:
//   1. The system prompt and the question are never dropped.
//   2. History goes first, oldest turn first: passages are the evidence the answer must cite, while the
//      history only helps with follow-ups (and the query-rewrite step already folded it into the search).
//   3. Then passages, lowest-ranked first, keeping at least one.
//   4. If even the top passage alone does not fit, it is cut at a word boundary to what fits.
// Space freed by a dropped passage is not refilled with history: kept simple, and rarely worth a turn.
import type { ChatMessage } from '../models/generator/types';
import { buildMessages } from './prompt';
import type { PromptPassage } from './prompts';

/** Tokens of the whole rendered prompt; the generator's `countTokens` RPC is exactly this. */
export type TokenCounter = (messages: ChatMessage[]) => number | Promise<number>;

/** Builds the prompt for a question, the passages kept and the history kept. */
export type PromptBuilder = (
  question: string,
  passages: readonly PromptPassage[],
  history: readonly ChatMessage[],
) => ChatMessage[];

/** What marks a cut passage, so the model (and a reader of the prompt) knows it goes on. */
export const TRUNCATION_MARK = ' …';

/**
 * Turns a text counter into a message counter. Exact when `render` is the model's chat template (as
 * tokenizer.apply_chat_template renders it) and `countText` its tokenizer without special tokens; the
 * default render is a rough role-and-content join for tests and estimates.
 */
export function textCounter(
  countText: (text: string) => number | Promise<number>,
  render: (messages: ChatMessage[]) => string = (messages) => messages.map((m) => `${m.role}\n${m.content}\n`).join(''),
): TokenCounter {
  return (messages) => countText(render(messages));
}

export interface BudgetInput {
  countTokens: TokenCounter;
  /** The model's context window in tokens. */
  contextLength: number;
  /** Tokens reserved for the answer (the generator's maxNewTokens). */
  answerBudget: number;
  question: string;
  /** Ranked best first; their `n` are kept as they are. */
  passages: readonly PromptPassage[];
  /** Earlier turns, oldest first. */
  history?: readonly ChatMessage[];
  /** Default: the grounded-answer prompt (buildMessages), which carries the system prompt. */
  build?: PromptBuilder;
}

export interface BudgetResult {
  /** The prompt to send. */
  messages: ChatMessage[];
  /** Passages sent, best first; the last may be cut (see `truncated`). */
  passages: PromptPassage[];
  /** History messages sent. */
  history: ChatMessage[];
  /** Numbers of the passages sent, and of those left out for lack of room. */
  used: number[];
  dropped: number[];
  /** How many history messages were left out (oldest ones). */
  droppedHistory: number;
  /** Number of the passage that was cut to fit, if any. */
  truncated: number | null;
  /** Tokens of `messages`. */
  promptTokens: number;
  /** contextLength − answerBudget: what the prompt may use. */
  available: number;
  /** False only when the system prompt and question alone leave no room: the caller should not generate. */
  fits: boolean;
}

interface Measured {
  messages: ChatMessage[];
  tokens: number;
}

/** Chooses what to send; calls the counter O(log n) times (about 20 at most), so an RPC counter is fine. */
export async function fitContext(input: BudgetInput): Promise<BudgetResult> {
  const { question, passages } = input;
  const history = input.history ?? [];
  const build = input.build ?? buildMessages;
  const available = input.contextLength - input.answerBudget;
  const measure = async (p: readonly PromptPassage[], h: readonly ChatMessage[]): Promise<Measured> => {
    const messages = build(question, p, h);
    return { messages, tokens: await input.countTokens(messages) };
  };
  const fits = (m: Measured) => m.tokens <= available;
  const done = (m: Measured, p: readonly PromptPassage[], h: readonly ChatMessage[], truncated: number | null) => {
    const used = p.map((x) => x.n);
    return {
      messages: m.messages,
      passages: [...p],
      history: [...h],
      used,
      dropped: passages.map((x) => x.n).filter((n) => !used.includes(n)),
      droppedHistory: history.length - h.length,
      truncated,
      promptTokens: m.tokens,
      available,
      fits: fits(m),
    };
  };

  const all = await measure(passages, history);
  if (fits(all)) return done(all, passages, history, null);

  // 1. History, oldest first, whole turns: a kept history always starts with a user message.
  if (history.length > 0) {
    const noHistory = await measure(passages, []);
    if (fits(noHistory)) {
      const starts = history.flatMap((m, i) => (i > 0 && m.role === 'user' ? [i] : []));
      starts.push(history.length);
      // starts[hi] fits (it may be "no history"); find the earliest start that fits.
      let lo = -1;
      let hi = starts.length - 1;
      let best = noHistory;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        const m = await measure(passages, history.slice(starts[mid]));
        if (fits(m)) {
          hi = mid;
          best = m;
        } else lo = mid;
      }
      return done(best, passages, history.slice(starts[hi]), null);
    }
  }

  // 2. Passages, lowest-ranked first: the longest ranked prefix that fits, at least one passage.
  if (passages.length > 1) {
    const one = await measure(passages.slice(0, 1), []);
    if (fits(one)) {
      let lo = 1;
      let hi = passages.length; // known not to fit
      let best = one;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        const m = await measure(passages.slice(0, mid), []);
        if (fits(m)) {
          lo = mid;
          best = m;
        } else hi = mid;
      }
      return done(best, passages.slice(0, lo), [], null);
    }
  }

  // 3. Cut the top passage at the last word boundary that fits.
  const top = passages[0];
  if (top) {
    const text = top.text.trim();
    const cuts = Array.from(text.matchAll(/\S(?=\s|$)/g), (m) => m.index + 1);
    let lo = -1; // index into cuts of the longest cut known to fit
    let hi = cuts.length - 1; // the whole text, known not to fit
    let best: Measured | null = null;
    const cutAt = (i: number): PromptPassage => ({ ...top, text: text.slice(0, cuts[i]) + TRUNCATION_MARK });
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const m = await measure([cutAt(mid)], []);
      if (fits(m)) {
        lo = mid;
        best = m;
      } else hi = mid;
    }
    if (best) return done(best, [cutAt(lo)], [], top.n);
  }

  // 4. Not even a word of evidence fits: send none; `fits` says whether the bare question does.
  return done(await measure([], []), [], [], null);
}
