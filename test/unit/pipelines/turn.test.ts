// Turns: a deleted document's passages are scrubbed from the conversation, leaving only their numbers and names.
import { describe, expect, it } from 'vitest';
import { forgetDocument, readSource, type Source, type Turn } from '../../../src/lib/pipelines/turn';

const source = (n: number, docId: string, text: string): Source => ({
  n,
  chunkId: `${docId}:${n}`,
  docId,
  docName: `${docId}.md`,
  text,
  start: 0,
  end: text.length,
  score: 0.5,
  scoreKind: 'rerank',
  denseScore: 0.6,
  keywordScore: null,
  headingPath: [`${docId} heading`],
  pageStart: null,
  matches: [{ queryIndex: 0, queryToken: 'lens', docIndex: 1, docToken: 'lens', score: 0.9 }],
  docTokens: ['[CLS]', 'lens'],
});

const turn = (sources: Source[]): Turn => ({
  question: 'q',
  query: 'q',
  answer: 'a [1]',
  phase: 'done',
  sources,
  grounding: [],
  used: sources.map((s) => s.n),
  dropped: [],
  prompt: null,
});

describe('forgetDocument', () => {
  it("removes every trace of the document's text and keeps the rest of the conversation as it was", () => {
    const kept = source(2, 'other', 'Sourdough needs a starter.');
    const turns = [turn([source(1, 'gone', 'The Fresnel lens secret.'), kept]), turn([kept])];
    const out = forgetDocument(turns, 'gone');
    expect(JSON.stringify(out)).not.toContain('Fresnel');
    expect(JSON.stringify(out)).not.toContain('gone heading');
    expect(out[0]!.sources[0]).toMatchObject({ n: 1, docName: 'gone.md', text: '', matches: [], deleted: true });
    expect(out[0]!.sources[1]).toBe(kept);
    expect(out[1]).toBe(turns[1]);
    expect(turns[0]!.sources[0]!.text).toBe('The Fresnel lens secret.');
  });

  it("drops deep mode's reasoning with the text (it quotes the passage)", () => {
    const judged: Source = {
      ...source(1, 'gone', 'The Fresnel lens secret.'),
      deep: { reasoning: 'It names the Fresnel lens.', probability: 0.9, state: 'done' },
    };
    const out = forgetDocument([turn([judged])], 'gone');
    expect(JSON.stringify(out)).not.toContain('Fresnel');
    expect(out[0]!.sources[0]!.deep).toBeUndefined();
  });
});

describe('readSource', () => {
  const s = source(1, 'doc', 'text');
  it('keeps a well-formed judgment and shows one stored under way as stopped', () => {
    const done = { ...s, deep: { reasoning: 'Yes.', probability: 0.8, state: 'done' as const } };
    expect(readSource(done)).toEqual(done);
    expect(readSource({ ...s, deep: { reasoning: 'Ye', probability: null, state: 'judging' } }).deep?.state).toBe(
      'stopped',
    );
    expect(readSource(s)).toBe(s);
  });

  it('drops a judgment an archive made up: a probability that is not a number, an unknown state', () => {
    for (const deep of [
      { reasoning: 'x', probability: '0.8', state: 'done' },
      { reasoning: 'x', probability: undefined, state: 'done' },
      { reasoning: 'x', probability: 0.5, state: 'exploded' },
      { reasoning: 7, probability: 0.5, state: 'done' },
      null,
    ]) {
      const read = readSource({ ...s, deep } as unknown as Source);
      expect(read.deep).toBeUndefined();
      expect(read.text).toBe('text');
    }
  });
});
