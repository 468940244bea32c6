// The scale bench's PDF corpus: byte-identical per seed, varied, and each file's unique fact readable by the app's PDF parser.
import { describe, expect, it } from 'vitest';
import { parsePdf } from '../../../src/lib/ingest/pdf';
import { corpusFile, corpusSpec, MAX_DOCUMENTS, pdfCorpus, type CorpusSpec } from '../../bench/pdf-corpus';
import { loadPdfjs } from '../ingest/helpers';

const COUNT = 10_000;
const squash = (s: string) => s.replace(/\s+/g, ' ');

describe('the synthetic PDF corpus', () => {
  it('makes the same bytes for the same seed, and other bytes for another seed', async () => {
    for (const i of [0, 1, 4217]) {
      const a = await corpusFile(12, i, COUNT);
      const b = await corpusFile(12, i, COUNT);
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
      const other = await corpusFile(13, i, COUNT);
      expect(Buffer.from(other.bytes).equals(Buffer.from(a.bytes))).toBe(false);
    }
  });

  it('gives every document of 10,000 its own name, codename and colour–creature marker', () => {
    const specs = Array.from({ length: COUNT }, (_, i) => corpusSpec(12, i, COUNT));
    expect(new Set(specs.map((s) => s.name)).size).toBe(COUNT);
    expect(new Set(specs.map((s) => s.codename.toLowerCase())).size).toBe(COUNT);
    expect(new Set(specs.map((s) => s.marker)).size).toBe(COUNT);
    // The question names the document by its marker; nothing else of the question is unique.
    for (const s of specs.slice(0, 50)) expect(s.question).toContain(s.marker);
    // No codename holds another (the fact query's keyword is one whole word of one document).
    const codes = specs.map((s) => s.codename.toLowerCase());
    const sample = codes.slice(0, 300);
    for (const c of sample) expect(codes.filter((o) => o.includes(c))).toEqual([c]);
  });

  it('varies fonts, layouts, page sizes and lengths, and carries pages of the fixture PDFs', () => {
    const specs = Array.from({ length: 500 }, (_, i) => corpusSpec(12, i, COUNT));
    const kinds = (f: (s: CorpusSpec) => unknown) => new Set(specs.map(f));
    expect(kinds((s) => s.family)).toEqual(new Set(['Helvetica', 'Times-Roman', 'Courier']));
    expect(kinds((s) => s.columns)).toEqual(new Set([1, 2]));
    expect(kinds((s) => s.pageSize).size).toBe(4);
    expect(kinds((s) => s.fixture)).toEqual(new Set([null, 'alphatrans.pdf', 'single_table.pdf', 'tracemonkey.pdf']));
    expect(specs.some((s) => s.rotatedPage !== null)).toBe(true);
    const pages = specs.map((s) => s.pages);
    expect(Math.min(...pages)).toBe(1);
    expect(Math.max(...pages)).toBeGreaterThanOrEqual(10);
  });

  it('refuses more documents than it has markers for', () => {
    expect(() => corpusSpec(12, 0, MAX_DOCUMENTS + 1)).toThrow(RangeError);
  });

  it('yields the corpus lazily, batch by batch, in index order', async () => {
    const seen: number[][] = [];
    for await (const batch of pdfCorpus({ count: 7, batch: 3 })) seen.push(batch.map((f) => f.index));
    expect(seen).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it("lets the app's PDF parser read each kind of file, its fact sentence included", async () => {
    const specs = Array.from({ length: 400 }, (_, i) => corpusSpec(12, i, COUNT));
    const wanted: ((s: CorpusSpec) => boolean)[] = [
      (s) => s.columns === 2 && s.pages >= 3,
      (s) => s.family === 'Courier',
      (s) => s.family === 'Times-Roman' && s.columns === 1,
      (s) => s.fixture === 'alphatrans.pdf',
      (s) => s.fixture === 'single_table.pdf',
      (s) => s.rotatedPage !== null,
      (s) => s.pageSize === 'A5',
    ];
    for (const want of wanted) {
      const spec = specs.find(want)!;
      expect(spec, want.toString()).toBeDefined();
      const file = await corpusFile(12, spec.index, COUNT);
      const doc = await parsePdf(file.bytes, file.name, { loadPdfjs });
      expect(doc.pageCount, file.name).toBe(file.pages + (file.fixture ? 1 : 0));
      expect(squash(doc.text), `${file.name}: ${want.toString()}`).toContain(file.fact);
      // The marker's two words are nowhere else in the file (filler words and the fixture pages never use them).
      const [colour, creature] = file.marker.split(' ');
      const words = squash(doc.text)
        .toLowerCase()
        .split(/[^a-z]+/);
      expect(words.filter((w) => w === colour || w === creature).length, file.name).toBe(2);
      // The heading is the document's name, in large type on page one.
      expect(doc.text).toContain(file.name.replace(/\.pdf$/, ''));
    }
  });

  it('names the standard fonts it uses in the file', async () => {
    const spec = Array.from({ length: 200 }, (_, i) => corpusSpec(12, i, COUNT)).find(
      (s) => !s.objectStreams && s.family === 'Times-Roman',
    )!;
    const text = Buffer.from((await corpusFile(12, spec.index, COUNT)).bytes).toString('latin1');
    for (const font of ['Times-Roman', 'Times-Bold', 'Times-Italic', 'Courier', 'Symbol', 'ZapfDingbats'])
      expect(text).toContain(`/BaseFont /${font}`);
  });
});
