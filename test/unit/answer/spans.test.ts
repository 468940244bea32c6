// documentSpan: a supporting sub-span of a chunk mapped to a highlight range in the document's text.
import { describe, expect, it } from 'vitest';
import { bestSupportSpan } from '../../../src/lib/answer/grounding';
import { documentSpan } from '../../../src/lib/answer/spans';

const doc =
  '# Warranty\n\nThe warranty covers parts for two years. It excludes accidental damage.\n\nReturns take 30 days.';
const start = doc.indexOf('The warranty');
const end = doc.indexOf('damage.') + 'damage.'.length;
const chunk = { start, end };
const chunkText = doc.slice(start, end);

describe('documentSpan', () => {
  it('shifts the passage sub-span by the chunk start', () => {
    const sub = bestSupportSpan('Accidental damage is excluded [1].', [{ n: 1, text: chunkText }])!;
    const range = documentSpan(chunk, sub, { chunkText, docText: doc });
    expect(doc.slice(range.start, range.end)).toBe('It excludes accidental damage.');
    expect(documentSpan(chunk, sub)).toEqual(range);
  });

  it('falls back to the whole chunk without a usable sub-span, and clamps to the chunk', () => {
    expect(documentSpan(chunk, null)).toEqual(chunk);
    expect(documentSpan(chunk, { start: 5, end: 5 })).toEqual(chunk);
    expect(documentSpan(chunk, { start: -4, end: 10_000 })).toEqual(chunk);
    expect(documentSpan(chunk, { start: 40, end: 10_000 })).toEqual({ start: start + 40, end });
  });

  it('trims blank characters at the ends when it has the document text', () => {
    const range = documentSpan(chunk, { start: 40, end: 47 }, { docText: doc });
    expect(doc.slice(range.start, range.end)).toBe(doc.slice(start + 40, start + 47).trim());
    expect(range.start).toBe(start + 41);
  });

  it('finds the snippet when the chunk text is not a verbatim slice of the document', () => {
    const reflowed = 'The warranty covers parts\nfor two years.  It excludes   accidental damage.';
    const sub = { start: reflowed.indexOf('It'), end: reflowed.length };
    const range = documentSpan(chunk, sub, { chunkText: reflowed, docText: doc });
    expect(doc.slice(range.start, range.end)).toBe('It excludes accidental damage.');
    expect(documentSpan(chunk, { start: 0, end: 5 }, { chunkText: 'Nothing like it', docText: doc })).toEqual(chunk);
  });
});
