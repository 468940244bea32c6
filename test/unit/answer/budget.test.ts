// fitContext: history trimmed oldest-first, then low-ranked passages, then the top passage cut; exact counts.
import { describe, expect, it } from 'vitest';
import { fitContext, textCounter, TRUNCATION_MARK, type PromptBuilder } from '../../../src/lib/answer/budget';
import { renderChat } from './chat-template';
import { buildMessages } from '../../../src/lib/answer/prompt';
import type { ChatMessage } from '../../../src/lib/models/generator/types';

/** One token per word plus one per message: easy to count by hand. */
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
function fakeCounter() {
  const counter = (messages: ChatMessage[]) => {
    counter.calls++;
    return messages.reduce((sum, m) => sum + words(m.content) + 1, 0);
  };
  counter.calls = 0;
  return counter;
}

/** [system "sys"] + history + [user: passage texts then the question]. */
const build: PromptBuilder = (question, passages, history) => [
  { role: 'system', content: 'sys' },
  ...history,
  { role: 'user', content: `${passages.map((p) => p.text).join(' ')} ${question}` },
];

const passages = [
  { n: 1, source: 'a', text: 'a a a' },
  { n: 2, source: 'b', text: 'b b b b' },
  { n: 3, source: 'c', text: 'c c' },
];
// 3 + 2 + 2 + 4 = 11 tokens.
const history: ChatMessage[] = [
  { role: 'user', content: 'h1 h1' },
  { role: 'assistant', content: 'r1' },
  { role: 'user', content: 'h2' },
  { role: 'assistant', content: 'r2 r2 r2' },
];
// system 2 + history 11 + user (3 + 4 + 2 + 1 words + 1) 11 = 24 tokens in all.
const base = { question: 'q', passages, history, build, answerBudget: 6 };

describe('fitContext', () => {
  it('sends everything when it fits, counting once', async () => {
    const countTokens = fakeCounter();
    const r = await fitContext({ ...base, countTokens, contextLength: 30 });
    expect(r).toMatchObject({ used: [1, 2, 3], dropped: [], droppedHistory: 0, truncated: null });
    expect(r).toMatchObject({ promptTokens: 24, available: 24, fits: true });
    expect(r.messages).toEqual(build('q', passages, history));
    expect(countTokens.calls).toBe(1);
  });

  it('drops the oldest history turn first, keeping whole turns', async () => {
    const r = await fitContext({ ...base, countTokens: fakeCounter(), contextLength: 26 });
    expect(r.history).toEqual(history.slice(2));
    expect(r).toMatchObject({ used: [1, 2, 3], dropped: [], droppedHistory: 2, promptTokens: 19, fits: true });
  });

  it('drops all history before any passage', async () => {
    const r = await fitContext({ ...base, countTokens: fakeCounter(), contextLength: 24 });
    expect(r).toMatchObject({ history: [], droppedHistory: 4, used: [1, 2, 3], promptTokens: 13 });
  });

  it('then drops the lowest-ranked passages', async () => {
    const r = await fitContext({ ...base, countTokens: fakeCounter(), contextLength: 17 });
    expect(r).toMatchObject({ used: [1, 2], dropped: [3], droppedHistory: 4, promptTokens: 11, fits: true });
    const r2 = await fitContext({ ...base, countTokens: fakeCounter(), contextLength: 16 });
    expect(r2).toMatchObject({ used: [1], dropped: [2, 3], promptTokens: 7, fits: true });
  });

  it('cuts the top passage at a word boundary when even it alone does not fit', async () => {
    const long = [{ n: 1, source: 'a', text: 'w1 w2 w3 w4 w5 w6 w7 w8' }, passages[1]!];
    // 2 + (k words + mark + question + 1) = k + 5 tokens for k words kept.
    const r = await fitContext({ ...base, passages: long, countTokens: fakeCounter(), contextLength: 15 });
    expect(r.passages).toEqual([{ n: 1, source: 'a', text: `w1 w2 w3 w4${TRUNCATION_MARK}` }]);
    expect(r).toMatchObject({ used: [1], dropped: [2], truncated: 1, promptTokens: 9, fits: true });
  });

  it('sends no passage when not a word fits, and says whether the bare question does', async () => {
    const fitsBare = await fitContext({ ...base, countTokens: fakeCounter(), contextLength: 10 });
    expect(fitsBare).toMatchObject({ used: [], dropped: [1, 2, 3], truncated: null, promptTokens: 4, fits: true });
    const tooSmall = await fitContext({ ...base, countTokens: fakeCounter(), contextLength: 9 });
    expect(tooSmall).toMatchObject({ used: [], promptTokens: 4, available: 3, fits: false });
  });

  it('works with an async counter in O(log n) calls', async () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ n: i + 1, source: 's', text: 'x '.repeat(10) }));
    const sync = fakeCounter();
    const countTokens = async (m: ChatMessage[]) => sync(m);
    // 2 + (10k + 1 + 1): 37 passages make 374 tokens.
    const r = await fitContext({
      question: 'q',
      passages: many,
      build,
      countTokens,
      contextLength: 380,
      answerBudget: 5,
    });
    expect(r.used).toHaveLength(37);
    expect(r.promptTokens).toBe(374);
    expect(sync.calls).toBeLessThanOrEqual(10);
  });

  it('uses the grounded-answer prompt by default, with history kept in place', async () => {
    const countTokens = textCounter((text) => Math.ceil(text.length / 4));
    const r = await fitContext({
      question: 'q?',
      passages,
      history,
      countTokens,
      contextLength: 4096,
      answerBudget: 256,
    });
    expect(r.messages).toEqual(buildMessages('q?', passages, history));
    expect(r.promptTokens).toBeLessThanOrEqual(r.available);
  });

  it('counts exactly through a chat template with textCounter', async () => {
    const template =
      '{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}';
    const countTokens = textCounter(
      (text) => text.length,
      (messages) => renderChat(messages, template),
    );
    const msgs: ChatMessage[] = [{ role: 'user', content: 'hi' }];
    expect(await countTokens(msgs)).toBe('<user>hi<assistant>'.length);
  });
});
