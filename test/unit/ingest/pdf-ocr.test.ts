// OCR in the PDF reader: which pages are offered, recognised lines laid out as a text layer, failures, and the lines a citation boxes.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import {
  linesCovering,
  ocrBoxes,
  ocrLinesOf,
  type OcrLine,
  type TesseractBlocks,
} from '../../../src/lib/ingest/ocr-layout';
import { parsePdf, type PdfOcr } from '../../../src/lib/ingest/pdf';
import { rowsOf } from '../../../src/lib/ingest/pdf-layout';
import { expectOffsets, failure, loadPdfjs, makePdf, readFixture } from './helpers';

/** A tesseract result of lines, each [text, x0, y0, x1, y1] in pixels of a 1000 × 1000 image, words split on spaces. */
function tesseract(lines: [string, number, number, number, number][]): TesseractBlocks {
  return {
    blocks: [
      {
        paragraphs: [
          {
            lines: lines.map(([text, x0, y0, x1, y1]) => {
              const words = text.split(' ');
              const step = (x1 - x0) / words.length;
              return {
                text,
                bbox: { x0, y0, x1, y1 },
                baseline: { x0, y0: y1 - 4, x1, y1: y1 - 4 },
                rowAttributes: { rowHeight: y1 - y0 },
                words: words.map((w, i) => ({
                  text: w,
                  confidence: 90,
                  bbox: { x0: x0 + i * step, y0, x1: x0 + (i + 1) * step - 8, y1 },
                })),
              };
            }),
          },
        ],
      },
    ],
  };
}

/** An OCR hook that records what it was offered and recognises every page as `lines` (or as `lines(page)`). */
function fakeOcr(lines: OcrLine[] | ((page: number) => OcrLine[]), accept = true) {
  const offered: number[][] = [];
  const recognised: number[] = [];
  const ocr: PdfOcr = {
    available: () => true,
    offer: async (pages) => {
      offered.push([...pages]);
      return accept;
    },
    render: async () => ({ image: new Blob(['png']), preview: new Blob(['jpg']), width: 1000, height: 1000 }),
    recognise: async (_image, page) => {
      recognised.push(page);
      return { key: `hash-${page}`, lines: typeof lines === 'function' ? lines(page) : lines };
    },
  };
  return { ocr, offered, recognised };
}

const TABLE = ocrLinesOf(
  tesseract([
    ['Processing Chunks Tables', 100, 100, 700, 130],
    ['Chipper 20,843 96.20', 100, 150, 700, 180],
  ]),
  1000,
  1000,
);

describe('ocrLinesOf', () => {
  it('keeps lines as page fractions with their words, and drops noise and empty lines', () => {
    const lines = ocrLinesOf(
      {
        blocks: [
          {
            paragraphs: [
              {
                lines: [
                  {
                    text: 'Harbour dues 12',
                    bbox: { x0: 100, y0: 200, x1: 500, y1: 240 },
                    baseline: { x0: 100, y0: 232, x1: 500, y1: 232 },
                    words: [
                      { text: 'Harbour', bbox: { x0: 100, y0: 200, x1: 250, y1: 240 }, confidence: 95 },
                      { text: 'dues', bbox: { x0: 260, y0: 205, x1: 350, y1: 240 }, confidence: 91 },
                      { text: '~', bbox: { x0: 360, y0: 205, x1: 370, y1: 240 }, confidence: 5 },
                      { text: '12', bbox: { x0: 420, y0: 205, x1: 500, y1: 240 }, confidence: 88 },
                    ],
                  },
                  { text: ' ', bbox: { x0: 0, y0: 0, x1: 10, y1: 10 }, words: [] },
                  {
                    text: '.,',
                    bbox: { x0: 0, y0: 300, x1: 10, y1: 310 },
                    words: [{ text: '.,', bbox: { x0: 0, y0: 300, x1: 10, y1: 310 } }],
                  },
                ],
              },
            ],
          },
        ],
      },
      1000,
      2000,
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]!.text).toBe('Harbour dues 12');
    expect(lines[0]!.box).toEqual([0.1, 0.1, 0.5, 0.12]);
    expect(lines[0]!.baseline).toBeCloseTo(0.116);
    expect(lines[0]!.words.map((w) => w.text)).toEqual(['Harbour', 'dues', '12']);
  });

  it('reads a page with no blocks as no lines', () => {
    expect(ocrLinesOf({ blocks: null }, 100, 100)).toEqual([]);
  });
});

describe('ocrBoxes', () => {
  it('lays the words out in points, y up, one row per line, so the reader joins each line', () => {
    const rows = rowsOf(ocrBoxes(TABLE, 612, 792));
    expect(rows.map((r) => r.map((b) => b.text).join(' '))).toEqual([
      'Processing Chunks Tables',
      'Chipper 20,843 96.20',
    ]);
    const first = rows[0]![0]!;
    expect(first.x0).toBeCloseTo(61.2);
    // Baseline 126 px down a 1000 px image of a 792 pt page: 692 pt up from the bottom.
    expect(first.y).toBeCloseTo(792 * (1 - 0.126));
    expect(first.size).toBe(Math.round(0.03 * 792));
  });
});

describe('linesCovering', () => {
  it('boxes the lines whose letters and digits lie in the passage, whatever its spacing and case', () => {
    expect(linesCovering(TABLE, 'TABLES\n\nchipper   20,843  96.20 and more')).toEqual([TABLE[1]!.box]);
    expect(linesCovering(TABLE, 'Processing Chunks Tables Chipper 20,843 96.20')).toEqual([
      TABLE[0]!.box,
      TABLE[1]!.box,
    ]);
    expect(linesCovering(TABLE, 'Something else entirely')).toEqual([]);
  });

  it('does not place a line too short to tell', () => {
    const short = ocrLinesOf(tesseract([['A1', 0, 0, 50, 20]]), 1000, 1000);
    expect(linesCovering(short, 'A1 and A1 again')).toEqual([]);
  });
});

describe('parsePdf with OCR', () => {
  it('offers the scanned page of single_table.pdf (a table image drawn over the page) and reads the recognised lines', async () => {
    const { ocr, offered, recognised } = fakeOcr(TABLE);
    const doc = await parsePdf(readFixture('single_table.pdf'), 'single_table.pdf', { loadPdfjs, ocr });
    expect(offered).toEqual([[1]]);
    expect(recognised).toEqual([1]);
    expect(doc.text).toContain('Chipper 20,843 96.20');
    expect(doc.ocrPages).toEqual([{ page: 1, key: 'hash-1' }]);
    expect(doc.blocks.every((b) => b.page === 1)).toBe(true);
    expect(doc.warnings).not.toContain('PDF_PAGES_SCANNED');
    expectOffsets(doc);
  });

  it('declined, the scanned PDF is refused as having no text, as without OCR', async () => {
    const { ocr, recognised } = fakeOcr(TABLE, false);
    const err = await failure(parsePdf(readFixture('single_table.pdf'), 'single_table.pdf', { loadPdfjs, ocr }));
    expect(err.code).toBe('PDF_NO_TEXT');
    expect(recognised).toEqual([]);
  });

  /** An inline 1-bit image of w×h pixels drawn over the page. */
  const image = (w: number, h: number) =>
    `q 612 0 0 792 0 0 cm BI /W ${w} /H ${h} /CS /G /BPC 1 ID ${'\xff'.repeat(Math.ceil(w / 8) * h)} EI Q`;
  const text = [{ x: 72, y: 700, text: 'Minutes of the harbour board.' }];
  const more = [{ x: 72, y: 600, text: 'The dredger returns in May.' }];

  it('recognises only the text-less pages of a mixed PDF, each in its place', async () => {
    const { ocr, offered } = fakeOcr(TABLE);
    const doc = await parsePdf(makePdf([text, [], more], [undefined, image(600, 600)]), 'mixed.pdf', {
      loadPdfjs,
      ocr,
    });
    expect(offered).toEqual([[2]]);
    const order = ['Minutes of the harbour board.', 'Chipper 20,843 96.20', 'The dredger returns in May.'];
    const at = order.map((t) => doc.text.indexOf(t));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(doc.blocks.find((b) => b.text.includes('Chipper'))?.page).toBe(2);
    expect(doc.ocrPages).toEqual([{ page: 2, key: 'hash-2' }]);
  });

  /** A 1-bit image of w×h pixels drawn over a box of bw×bh points. */
  const drawn = (w: number, h: number, bw: number, bh: number) =>
    `q ${bw} 0 0 ${bh} 72 72 cm BI /W ${w} /H ${h} /CS /G /BPC 1 ID ${'\xff'.repeat(Math.ceil(w / 8) * h)} EI Q`;

  it('tells a scan by where its image is drawn: a 90,000-pixel image over a quarter of the page is, at 20 pt it is not', async () => {
    const { ocr, offered } = fakeOcr(TABLE);
    await parsePdf(makePdf([text, [], more], [undefined, drawn(300, 300, 20, 20)]), 'stamp.pdf', { loadPdfjs, ocr });
    expect(offered).toEqual([]);
    await parsePdf(makePdf([text, [], more], [undefined, drawn(300, 300, 306, 396)]), 'quarter.pdf', {
      loadPdfjs,
      ocr,
    });
    expect(offered).toEqual([[2]]);
  });

  it('still finds scans after short title pages: those are inspected on their own budget', async () => {
    const title = (t: string) => [{ x: 72, y: 700, text: t }];
    const pdf = makePdf(
      [title('Report 2023'), text, title('Part I'), [], []],
      [undefined, undefined, undefined, image(600, 600), image(600, 600)],
    );
    const plain = await parsePdf(pdf, 'report.pdf', { loadPdfjs });
    expect(plain.warnings).toContain('PDF_PAGES_SCANNED');
    // Recognition reads the title pages as their own text with a misread letter or two more ('Rep0rt 2O23 l'), and
    // each scan as a row of its own.
    const read = (page: number) =>
      ocrLinesOf(
        tesseract([
          page === 1 || page === 3
            ? ['Rep0rt 2O23 l', 100, 100, 300, 130]
            : [`Ledger row ${page} paid`, 100, 100, 700, 130],
        ]),
        1000,
        1000,
      );
    const { ocr, offered } = fakeOcr(read);
    const doc = await parsePdf(pdf, 'report.pdf', { loadPdfjs, ocr });
    expect(offered).toEqual([[1, 3, 4, 5]]);
    expect(doc.text).toContain('Ledger row 4 paid');
    expect(doc.text).toContain('Ledger row 5 paid');
    expect(doc.text).toContain('Part I');
    // The title pages keep their own text (recognition read no more letters there); the scans are read.
    expect(doc.text).toContain('Report 2023');
    expect(doc.ocrPages?.map((p) => p.page)).toEqual([4, 5]);
  });

  it('finds scans after several blank pages and stamped title pages', async () => {
    const title = (t: string) => [{ x: 72, y: 700, text: t }];
    const stamp = [{ x: 500, y: 30, text: 'BATES 0001' }];
    const blanks = makePdf(
      [text, [], more, [], [], [], []],
      [undefined, undefined, undefined, undefined, undefined, image(600, 600), image(600, 600)],
    );
    expect((await parsePdf(blanks, 'blanks.pdf', { loadPdfjs })).warnings).toContain('PDF_PAGES_SCANNED');
    const stamped = makePdf(
      [title('Report 2023'), text, title('Part I'), stamp, stamp],
      [undefined, undefined, undefined, image(600, 600), image(600, 600)],
    );
    expect((await parsePdf(stamped, 'stamped.pdf', { loadPdfjs })).warnings).toContain('PDF_PAGES_SCANNED');
  });

  it('where OCR cannot run nothing is offered; where it fails to start, the text pages are kept with a warning', async () => {
    const mixed = makePdf([text, [], more], [undefined, image(600, 600)]);
    const off = { ...fakeOcr(TABLE), available: false };
    off.ocr.available = () => false;
    const warned = await parsePdf(mixed, 'mixed.pdf', { loadPdfjs, ocr: off.ocr });
    expect(off.offered).toEqual([]);
    expect(warned.warnings).toContain('PDF_PAGES_SCANNED');

    const failing: PdfOcr = {
      ...fakeOcr(TABLE).ocr,
      recognise: async () => {
        throw new AppError('OCR_UNAVAILABLE', undefined, { reason: 'offline' });
      },
    };
    const kept = await parsePdf(mixed, 'mixed.pdf', { loadPdfjs, ocr: failing });
    expect(kept.warnings).toContain('OCR_SKIPPED');
    expect(kept.text).toContain('The dredger returns in May.');
    expect(kept.ocrPages).toBeUndefined();
    // Failing after a page was read: every page is back as it was before recognition, and none claims a scan.
    let calls = 0;
    const midway: PdfOcr = {
      ...fakeOcr(TABLE).ocr,
      recognise: async (_image, page) => {
        if (calls++ > 0) throw new AppError('OCR_UNAVAILABLE', undefined, { reason: 'offline' });
        return { key: `hash-${page}`, lines: TABLE };
      },
    };
    const twoScans = makePdf([text, [], []], [undefined, image(600, 600), image(600, 600)]);
    const restored = await parsePdf(twoScans, 'two.pdf', { loadPdfjs, ocr: midway });
    expect(restored.warnings).toContain('OCR_SKIPPED');
    expect(restored.text).not.toContain('Chipper');
    expect(restored.ocrPages).toBeUndefined();
    // Scans with stamps only are no text pages: the file fails and says why.
    const exhibits = makePdf(
      [[{ x: 500, y: 30, text: 'Exhibit A' }], [{ x: 500, y: 30, text: 'Exhibit B' }]],
      [image(600, 600), image(600, 600)],
    );
    expect((await failure(parsePdf(exhibits, 'exhibits.pdf', { loadPdfjs, ocr: failing }))).code).toBe(
      'OCR_UNAVAILABLE',
    );
    const scansOnly = await failure(parsePdf(readFixture('single_table.pdf'), 'scan.pdf', { loadPdfjs, ocr: failing }));
    expect(scansOnly.code).toBe('OCR_UNAVAILABLE');
    expect(scansOnly.details).toMatchObject({ reason: 'offline' });
  });

  it('offers nothing for a logo or a blank page', async () => {
    const { ocr, offered } = fakeOcr(TABLE);
    await parsePdf(makePdf([text, [], more], [undefined, image(40, 40)]), 'logo.pdf', { loadPdfjs, ocr });
    await parsePdf(makePdf([text, [], more]), 'blank.pdf', { loadPdfjs, ocr });
    expect(offered).toEqual([]);
  });

  it('a page that cannot be recognised fails the file with its page named; a cancel stays a cancel', async () => {
    const broken: PdfOcr = {
      ...fakeOcr(TABLE).ocr,
      recognise: async () => {
        throw new Error('core exploded');
      },
    };
    const err = await failure(
      parsePdf(readFixture('single_table.pdf'), 'single_table.pdf', { loadPdfjs, ocr: broken }),
    );
    expect(err.code).toBe('OCR_FAILED');
    expect(err.details).toMatchObject({ fileName: 'single_table.pdf', page: 1, reason: 'core exploded' });
    const cancelled: PdfOcr = {
      ...fakeOcr(TABLE).ocr,
      recognise: async () => {
        throw new AppError('ABORTED');
      },
    };
    const stopped = await failure(
      parsePdf(readFixture('single_table.pdf'), 'single_table.pdf', { loadPdfjs, ocr: cancelled }),
    );
    expect(stopped.code).toBe('ABORTED');
  });
});
