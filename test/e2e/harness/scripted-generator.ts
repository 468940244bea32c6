// A scripted generator worker, for e2e tests only: same RPC contract as the real one, fixed cited text (or questions, or
// filters, or deep mode's judgments).
import { AppError } from '../../../src/lib/errors';
import { serve, type Endpoint, type Handlers } from '../../../src/lib/rpc';
import type { ChatMessage, GeneratorMethods } from '../../../src/lib/models/generator/types';

/** One supported sentence citing [1], one sentence no passage supports. */
export const SCRIPTED_ANSWER =
  "A Fresnel lens focuses the lamp's light into a narrow beam [1]. The moon is made of green cheese [1].";

/**
 * Asked for questions a passage answers (the synthetic-questions prompt), it writes, deterministically from the
 * passage's first sentence: a question on three of its longer words, that sentence copied as a question, and the
 * first question reworded, as a small model might: the app's filters should keep the first and drop the others.
 */
function questionsFor(messages: ChatMessage[]): string | null {
  if (!/questions that the passage answers/i.test(messages[0]?.content ?? '')) return null;
  const user = messages[messages.length - 1]?.content ?? '';
  const open = user.indexOf('>', user.indexOf('<passage')) + 1;
  const text = user.slice(open, user.indexOf('</passage>', open)).trim();
  const sentence = (text.split(/[.!?]\s/)[0] ?? text).replace(/[.!?]+$/, '').trim();
  const topic = (sentence.match(/[\p{L}\p{N}]{5,}/gu) ?? []).slice(0, 3).join(' ');
  if (!topic) return 'I cannot find a question here.';
  return [`What should I know about ${topic}?`, `${sentence}?`, `About ${topic}: what should I know?`].join('\n');
}

/** What a test scripts for deep mode, fetched at each judgment (scripted.ts serves it): see ScriptedJudge there. */
interface JudgeScript {
  /** [text in the passage, P(yes)]: the first that the judged passage contains decides; otherwise 0.5. */
  verdicts?: [string, number][];
  /** Pause between streamed reasoning words. */
  wordMs?: number;
}

async function judgeScript(): Promise<JudgeScript> {
  try {
    return (await (await fetch('/__scripted/judge.json')).json()) as JudgeScript;
  } catch {
    return {};
  }
}

/** The scripted probability of "yes" for the passage the judge prompt quotes. */
function scriptedVerdict(script: JudgeScript, messages: ChatMessage[]): number {
  const user = messages[messages.length - 1]?.content ?? '';
  return script.verdicts?.find(([text]) => user.includes(text))?.[1] ?? 0.5;
}

/**
 * Asked for an instruction's filters (the instruction-filters prompt), it writes, from the instruction line: a date
 * range for "before YYYY" / "from YYYY", the file types it names, and a term after "nothing about"; "garble" makes it
 * write prose instead of JSON, as a small model might.
 */
function filtersFor(messages: ChatMessage[]): string | null {
  if (!/turn a search instruction into filters/i.test(messages[0]?.content ?? '')) return null;
  const user = messages[messages.length - 1]?.content ?? '';
  const instruction = (user.split('Instruction:\n')[1] ?? '').split('\n')[0]!.toLowerCase();
  if (instruction.includes('garble')) return 'Sure! I would filter by the dates you gave.';
  const before = /before (\d{4})/.exec(instruction);
  const from = /from (\d{4})/.exec(instruction);
  const about = /nothing about (\w+)/.exec(instruction);
  const kinds = ['pdf', 'markdown', 'text', 'html', 'docx'].filter((k) => instruction.includes(k));
  return JSON.stringify({
    documents: [],
    kinds,
    from: from ? `${from[1]}-01-01` : null,
    to: before ? `${Number(before[1]) - 1}-12-31` : null,
    exclude: about ? [about[1]] : [],
  });
}

const handlers: Handlers<GeneratorMethods> = {
  load: async ({ device, dtype }) => ({ device, dtype }),
  stopDownload: async () => {},
  countTokens: async ({ messages }) => messages.reduce((n, m) => n + m.content.split(/\s+/).length, 0),
  generate: async ({ messages }, ctx) => {
    // The test counts these lines to prove whether the generator was called at all.
    console.log('scripted-generator: generate');
    const started = performance.now();
    const reply = questionsFor(messages) ?? filtersFor(messages) ?? SCRIPTED_ANSWER;
    const pieces = reply.match(/\S+\s*/g) ?? [];
    for (const piece of pieces) {
      if (ctx.signal.aborted) break;
      ctx.progress({ text: piece });
      await new Promise((r) => setTimeout(r, 5));
    }
    const total = performance.now() - started;
    return { text: reply, tokens: pieces.length, firstTokenMs: 0, totalMs: total };
  },
  judge: async ({ messages }, ctx) => {
    console.log('scripted-generator: judge');
    const started = performance.now();
    const script = await judgeScript();
    const p = scriptedVerdict(script, messages);
    const reasoning = `The passage is about the question's subject. It ${p >= 0.5 ? 'answers' : 'does not answer'} the question.`;
    const pieces = reasoning.match(/\S+\s*/g) ?? [];
    let written = '';
    for (const piece of pieces) {
      if (ctx.signal.aborted) throw new AppError('ABORTED');
      ctx.progress({ text: piece });
      written += piece;
      await new Promise((r) => setTimeout(r, script.wordMs ?? 5));
    }
    // Log-probabilities over a pretend vocabulary, as the real judge reads them after the cue.
    const verdict = { yes: [Math.log(p)], no: [Math.log(1 - p)], yesIds: [1], noIds: [2] };
    return { reasoning: written.trim(), verdict, tokens: pieces.length, ms: performance.now() - started };
  },
};

serve(self as unknown as Endpoint, handlers);
