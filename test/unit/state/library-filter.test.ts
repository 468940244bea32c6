// Library filter: case-insensitive substring on names, no pattern from the input, the count line, and 10,000 names fast.
import { describe, expect, it } from 'vitest';
import { filterByName, filterSummary, normalizeFilter } from '../../../src/lib/state/library-filter';

const docs = ['Lighthouses.md', 'sourdough.txt', 'Annual REPORT 2024.pdf', 'report (draft).docx', 'a.b*c?.txt'].map(
  (name, i) => ({ id: String(i), name }),
);
const names = (q: string) => filterByName(docs, q).map((d) => d.name);

describe('filterByName', () => {
  it('keeps every document for an empty or blank filter (the same array)', () => {
    expect(filterByName(docs, '')).toBe(docs);
    expect(filterByName(docs, '   ')).toBe(docs);
  });

  it('matches a substring anywhere in the name, ignoring case and surrounding spaces', () => {
    expect(names('report')).toEqual(['Annual REPORT 2024.pdf', 'report (draft).docx']);
    expect(names('  LIGHT ')).toEqual(['Lighthouses.md']);
    expect(names('.txt')).toEqual(['sourdough.txt', 'a.b*c?.txt']);
    expect(names('nothing like it')).toEqual([]);
  });

  it('treats regex characters as text', () => {
    expect(names('b*c?')).toEqual(['a.b*c?.txt']);
    expect(names('(draft)')).toEqual(['report (draft).docx']);
    expect(names('.*')).toEqual([]);
    expect(names('[')).toEqual([]);
  });

  it('uses the lower-cased names given, and ignores them when they do not line up', () => {
    const lowered = docs.map((d) => d.name.toLowerCase());
    expect(filterByName(docs, 'REPORT', lowered).map((d) => d.id)).toEqual(['2', '3']);
    expect(filterByName(docs, 'report', lowered.slice(1)).map((d) => d.id)).toEqual(['2', '3']);
  });

  it('filters 10,000 names in a few milliseconds', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ name: `Quarterly filing ${i} of the archive.pdf` }));
    const lowered = many.map((d) => d.name.toLowerCase());
    filterByName(many, 'filing 9999', lowered);
    const t0 = performance.now();
    const hits = filterByName(many, 'FILING 9999 ', lowered);
    const ms = performance.now() - t0;
    expect(hits).toEqual([many[9999]]);
    expect(ms).toBeLessThan(50);
  });
});

describe('filterSummary', () => {
  it('says the total, and how many the filter keeps', () => {
    expect(filterSummary(10_000, 10_000, false)).toBe('10,000 documents');
    expect(filterSummary(1, 10_000, true)).toBe('1 of 10,000 documents');
    expect(filterSummary(12, 10_000, true)).toBe('12 of 10,000 documents');
    expect(filterSummary(1, 1, false)).toBe('1 document');
    expect(filterSummary(0, 1, true)).toBe('0 of 1 document');
  });

  it('normalizes the filter text', () => {
    expect(normalizeFilter('  MiXeD Case ')).toBe('mixed case');
  });
});
