// PPTX: slides in presentation order (not file-name order), slide number as page, titles, notes, tables, damage.
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { openArchive } from '../../../src/lib/ingest/archive';
import { chunkDocument } from '../../../src/lib/ingest/chunker';
import { parsePptx } from '../../../src/lib/ingest/pptx';
import { expectOffsets, failure, makeZip, utf8, words } from './helpers';
import { makePptx, type PptxSlide } from './office-files';

/** Eleven slides: a file-name sort would put slide10.xml and slide11.xml before slide2.xml. */
const deck = (): PptxSlide[] =>
  Array.from({ length: 11 }, (_, i) => ({ title: `Topic ${i + 1}`, body: [`Point ${i + 1}a`, `Point ${i + 1}b`] }));

describe('parsePptx', () => {
  it('reads slides in presentation order, slide10 after slide2, each slide number as its page', async () => {
    const doc = await parsePptx(makePptx(deck()), 'deck.pptx');
    expectOffsets(doc);
    expect(doc.kind).toBe('pptx');
    expect(doc.title).toBe('deck');
    expect(doc.pageCount).toBe(11);
    const headings = doc.blocks.filter((b) => b.kind === 'heading');
    expect(headings.map((b) => [b.text, b.page])).toEqual(
      Array.from({ length: 11 }, (_, i) => [`Topic ${i + 1}`, i + 1]),
    );
    expect(doc.blocks.filter((b) => b.page === 10).map((b) => b.text)).toEqual(['Topic 10', 'Point 10a', 'Point 10b']);
    // The slide-number placeholder is chrome, not text.
    expect(doc.blocks.some((b) => /^\d+$/.test(b.text))).toBe(false);
  });

  it('follows the presentation’s slide list, not the slide files’ numbers', async () => {
    const slides: PptxSlide[] = [{ title: 'Made first' }, { title: 'Made second', body: ['Shown first'] }];
    const doc = await parsePptx(makePptx(slides, [1, 0]), 'moved.pptx');
    expect(doc.blocks.map((b) => [b.text, b.page])).toEqual([
      ['Made second', 1],
      ['Shown first', 1],
      ['Made first', 2],
    ]);
  });

  it('adds speaker notes as a "Notes:" paragraph on the slide’s page, and reads tables', async () => {
    const doc = await parsePptx(
      makePptx([
        { title: 'Welcome', body: ['Agenda'], notes: 'Greet the board first.' },
        {
          body: ['No title here'],
          table: [
            ['Region', 'Sales'],
            ['North', '12'],
          ],
        },
      ]),
      'notes.pptx',
    );
    expect(doc.blocks.map((b) => [b.kind, b.text, b.page])).toEqual([
      ['heading', 'Welcome', 1],
      ['paragraph', 'Agenda', 1],
      ['paragraph', 'Notes: Greet the board first.', 1],
      ['heading', 'Slide 2', 2],
      ['paragraph', 'No title here', 2],
      ['table', 'Region | Sales\nNorth | 12', 2],
    ]);
  });

  it('gives passages the slide title as heading path and the slide as page after chunking', async () => {
    const doc = await parsePptx(makePptx(deck()), 'deck.pptx');
    const chunks = await chunkDocument(doc, { maxTokens: 8, overlapTokens: 0, countTokens: words });
    const chunk = chunks.find((c) => c.text.includes('Point 10b'))!;
    expect(chunk.headingPath).toEqual(['Topic 10']);
    expect([chunk.pageStart, chunk.pageEnd]).toEqual([10, 10]);
  });

  it('calls non-archives, archives without a presentation, and bombs by their own codes', async () => {
    expect((await failure(parsePptx(utf8('plain text'), 'fake.pptx'))).code).toBe('PPTX_INVALID');
    const cfb = Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Uint8Array(512)]);
    expect((await failure(parsePptx(cfb, 'locked.pptx'))).message).toMatch(/password-protected or in the old \.ppt/);
    const other = makeZip([{ name: 'readme.txt', data: utf8('hi') }]);
    const missing = await failure(parsePptx(other, 'other.pptx'));
    expect(missing.code).toBe('PPTX_INVALID');
    expect(missing.message).toContain('ppt/presentation.xml');
    const noSlides = makeZip([{ name: 'ppt/presentation.xml', data: utf8('<p:presentation/>') }]);
    expect((await failure(parsePptx(noSlides, 'none.pptx'))).message).toContain('no slides');
    const bomb = makeZip([
      { name: 'ppt/presentation.xml', data: utf8('<p:presentation/>') },
      { name: 'ppt/media/blob.bin', data: new Uint8Array(1000), claimedSize: 5 * 1024 * 1024 },
    ]);
    const err = await failure(parsePptx(bomb, 'bomb.pptx'));
    expect(err.code).toBe('PPTX_TOO_LARGE_UNCOMPRESSED');
    expect(err.details.entry).toBe('ppt/media/blob.bin');
  });

  it('reads a slide listed many times once (a small file cannot multiply its text), numbering by list place', async () => {
    const two = deck().slice(0, 2);
    const doc = await parsePptx(makePptx(two, [0, 1, 0, 1, 0, 1, 0]), 'repeats.pptx');
    expect(doc.blocks.filter((b) => b.kind === 'heading').map((b) => [b.text, b.page])).toEqual([
      ['Topic 1', 1],
      ['Topic 2', 2],
    ]);
    // A listed slide whose file is missing keeps the later slides' numbers (citations name the slide shown).
    const files = unzipSync(makePptx(deck().slice(0, 3)));
    delete files['ppt/slides/slide2.xml'];
    const gap = await parsePptx(zipSync(files), 'gap.pptx');
    expect(gap.blocks.filter((b) => b.kind === 'heading').map((b) => [b.text, b.page])).toEqual([
      ['Topic 1', 1],
      ['Topic 3', 3],
    ]);
    expect(gap.pageCount).toBe(3);
  });

  it('counts every entry read against the size budget, so reading one part over and over is refused', async () => {
    const zip = await openArchive(
      zipSync({ 'a.xml': strToU8('x'.repeat(1000)) }),
      'loop.pptx',
      { invalid: 'PPTX_INVALID', tooLarge: 'PPTX_TOO_LARGE_UNCOMPRESSED', cfbReason: '' },
      ['a.xml'],
      1500,
    );
    expect(zip.text('a.xml')).toHaveLength(1000);
    expect(() => zip.text('a.xml')).toThrow(expect.objectContaining({ code: 'PPTX_TOO_LARGE_UNCOMPRESSED' }));
  });

  it('refuses a deck without text', async () => {
    expect((await failure(parsePptx(makePptx([{}, {}]), 'blank.pptx'))).code).toBe('NO_TEXT');
  });
});
