// Text in the pictures of DOCX, PPTX and EPUB files, with a fake recogniser: offered only when asked, placed where each picture stands, read once.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import { parseDocx } from '../../../src/lib/ingest/docx';
import { parseEpub } from '../../../src/lib/ingest/epub';
import { MAX_PICTURES, withImageText, type ImageOcr } from '../../../src/lib/ingest/image-text';
import type { OcrLine } from '../../../src/lib/ingest/ocr-layout';
import { parsePptx } from '../../../src/lib/ingest/pptx';
import { expectOffsets, failure } from './helpers';
import { docxPara, docxPicture, makeDocx, makeEpub, makePptx, markedPicture, markedText } from './office-files';

/** A picture file the fake recogniser "reads" as `text`; 800 × 400 pixels unless said. */
const picture = markedPicture;

/** A little-endian TIFF of `width` × `height` (its first directory only), padded to 4 kB. */
function tiff(width: number, height: number): Uint8Array {
  const out = new Uint8Array(4096);
  const v = new DataView(out.buffer);
  out.set([0x49, 0x49, 0x2a, 0x00]);
  v.setUint32(4, 8, true);
  v.setUint16(8, 2, true);
  [
    [256, width],
    [257, height],
  ].forEach(([tag, value], i) => {
    const at = 10 + i * 12;
    v.setUint16(at, tag!, true);
    v.setUint16(at + 2, 3, true);
    v.setUint32(at + 4, 1, true);
    v.setUint16(at + 8, value!, true);
  });
  return out;
}

const line = (text: string): OcrLine => ({ text, box: [0, 0, 1, 0.1], baseline: 0.1, height: 0.1, words: [] });

/** Reads each picture's marked text as its one line. */
function fakeOcr(answer: boolean | (() => never) = true) {
  const log = { offers: [] as number[], read: [] as string[] };
  const ocr: ImageOcr = {
    available: () => true,
    offer: async (count) => {
      log.offers.push(count);
      return typeof answer === 'function' ? answer() : answer;
    },
    recognise: async (image, done, total) => {
      const text = await markedText(image);
      log.read.push(`${done + 1}/${total} ${text}`);
      if (text === 'unreadable') throw new Error('tesseract gave up');
      if (text === 'offline') throw new AppError('OCR_UNAVAILABLE', undefined, { reason: 'offline' });
      return { key: `key:${text}`, lines: text === 'photo' ? [line('~ |')] : [line(text)] };
    },
  };
  return { ocr, log };
}

const rows = (doc: { blocks: { kind: string; text: string; page?: number }[] }) =>
  doc.blocks.map((b) => [b.kind, b.text, b.page]);

describe('text in pictures', () => {
  it('PPTX: offers the slides’ pictures, then adds each one’s text after its slide’s body, before its notes', async () => {
    const deck = makePptx([
      {
        title: 'Revenue',
        body: ['Up this year'],
        notes: 'Mention the chart.',
        pictures: [{ name: 'chart.png', bytes: picture('Q3 revenue 4.2 million') }],
      },
      // A screenshot slide: no title, no text of its own.
      { pictures: [{ name: 'shot.png', bytes: picture('Error 0x80070005 access denied') }] },
      { title: 'Thanks' },
    ]);
    const { ocr, log } = fakeOcr();
    const doc = await parsePptx(deck, 'deck.pptx', { imageOcr: ocr });
    expectOffsets(doc);
    expect(log.offers).toEqual([2]);
    expect(log.read).toEqual(['1/2 Q3 revenue 4.2 million', '2/2 Error 0x80070005 access denied']);
    expect(rows(doc)).toEqual([
      ['heading', 'Revenue', 1],
      ['paragraph', 'Up this year', 1],
      ['paragraph', 'Text in picture: Q3 revenue 4.2 million', 1],
      ['paragraph', 'Notes: Mention the chart.', 1],
      ['heading', 'Slide 2', 2],
      ['paragraph', 'Text in picture: Error 0x80070005 access denied', 2],
      ['heading', 'Thanks', 3],
    ]);
    expect(doc.ocrImages).toEqual([
      { page: 1, key: 'key:Q3 revenue 4.2 million' },
      { page: 2, key: 'key:Error 0x80070005 access denied' },
    ]);

    // Declined, the deck reads as it always did: the picture-only slide adds nothing.
    const declined = fakeOcr(false);
    const plain = await parsePptx(deck, 'deck.pptx', { imageOcr: declined.ocr });
    expect(declined.log.read).toEqual([]);
    expect(rows(plain)).toEqual(rows(await parsePptx(deck, 'deck.pptx')));
    expect(plain.blocks.map((b) => b.text)).not.toContain('Slide 2');
    expect(plain.ocrImages).toBeUndefined();
  });

  it('asks nothing for icons, tiny pictures or a logo repeated on every slide beyond its first showing', async () => {
    const logo = { name: 'logo.png', bytes: picture('ACME Corporation') };
    const deck = makePptx([
      { title: 'One', pictures: [logo, { name: 'bullet.png', bytes: picture('dot', { bytes: 600 }) }] },
      { title: 'Two', pictures: [logo, { name: 'icon.png', bytes: picture('an icon', { width: 100, height: 100 }) }] },
      { title: 'Three', pictures: [logo, { name: 'vector.emf', bytes: picture('EMF drawing') }] },
      // A rule drawn as a picture: wide enough, too thin to hold a line of text.
      { title: 'Four', pictures: [{ name: 'rule.png', bytes: picture('a rule', { width: 4000, height: 20 }) }] },
      // A photograph of 60 megapixels: never decoded.
      { title: 'Five', pictures: [{ name: 'photo.png', bytes: picture('a photo', { width: 10_000, height: 6_000 }) }] },
      // Bytes that are no picture at all, under a picture's name.
      { title: 'Six', pictures: [{ name: 'fake.png', bytes: new Uint8Array(4096).fill(7) }] },
      // A TIFF named .png: image-size reads its size, browsers do not draw it.
      { title: 'Seven', pictures: [{ name: 'scan.png', bytes: tiff(800, 400) }] },
      // A banner far wider than a canvas may be.
      {
        title: 'Eight',
        pictures: [{ name: 'banner.png', bytes: picture('a banner', { width: 20_000, height: 100 }) }],
      },
    ]);
    const { ocr, log } = fakeOcr();
    const doc = await parsePptx(deck, 'logo.pptx', { imageOcr: ocr });
    expect(log.offers).toEqual([1]);
    expect(doc.blocks.filter((b) => b.text.startsWith('Text in picture')).map((b) => [b.text, b.page])).toEqual([
      ['Text in picture: ACME Corporation', 1],
    ]);
    // A document without pictures worth reading asks nothing at all.
    const none = fakeOcr();
    await parsePptx(makePptx([{ title: 'Plain', body: ['Text only'] }]), 'plain.pptx', { imageOcr: none.ocr });
    expect(none.log.offers).toEqual([]);
  });

  it('leaves out a photo’s noise, offers at most MAX_PICTURES, and never reads pictures where OCR cannot run', async () => {
    const many = makePptx(
      Array.from({ length: MAX_PICTURES + 5 }, (_, i) => ({
        title: `Slide title ${i + 1}`,
        pictures: [{ name: `p${i}.png`, bytes: picture(i === 0 ? 'photo' : `Caption number ${i + 1}`) }],
      })),
    );
    const { ocr, log } = fakeOcr();
    const doc = await parsePptx(many, 'many.pptx', { imageOcr: ocr });
    expect(log.offers).toEqual([MAX_PICTURES]);
    expect(doc.blocks.filter((b) => b.page === 1).map((b) => b.text)).toEqual(['Slide title 1']);
    // Recognised, even without text: cached, so a re-import does not read it again.
    expect(doc.ocrImages).toHaveLength(MAX_PICTURES);
    const unavailable = fakeOcr();
    const off = await parsePptx(many, 'many.pptx', { imageOcr: { ...unavailable.ocr, available: () => false } });
    expect(unavailable.log.offers).toEqual([]);
    expect(off.blocks.some((b) => b.text.startsWith('Text in picture'))).toBe(false);
  });

  it('a picture that cannot be read is left out with a warning; OCR that cannot start warns and adds the text', async () => {
    const deck = (text: string) =>
      makePptx([{ title: 'Scan', body: ['Body text'], pictures: [{ name: 'a.png', bytes: picture(text) }] }]);
    const two = makePptx([
      {
        title: 'Scan',
        pictures: [
          { name: 'a.png', bytes: picture('unreadable') },
          { name: 'b.png', bytes: picture('Quarterly totals by region') },
        ],
      },
    ]);
    const bad = await parsePptx(two, 'bad.pptx', { imageOcr: fakeOcr().ocr });
    expect(bad.warnings).toEqual(['OCR_PICTURES_FAILED']);
    expect(bad.blocks.map((b) => b.text)).toEqual(['Scan', 'Text in picture: Quarterly totals by region']);
    const offline = await parsePptx(deck('offline'), 'offline.pptx', { imageOcr: fakeOcr().ocr });
    expect(offline.warnings).toEqual(['OCR_IMAGES_SKIPPED']);
    expect(offline.blocks.map((b) => b.text)).toEqual(['Scan', 'Body text']);
    // A cancel ends the import.
    const cancelled = fakeOcr(() => {
      throw new AppError('ABORTED');
    });
    expect((await failure(parsePptx(deck('x'.repeat(20)), 'c.pptx', { imageOcr: cancelled.ocr }))).code).toBe(
      'ABORTED',
    );
  });

  it('EPUB: a picture’s text follows the paragraph it stands in; a chapter of pictures alone gets its title only when read', async () => {
    const book = makeEpub(
      'Atlas',
      [
        {
          file: 'ch1.xhtml',
          navTitle: 'Maps',
          body: '<h1>Maps</h1><p>The legend is below <img src="img/legend.png" alt=""/> and explains symbols.</p><p>After.</p>',
        },
        { file: 'plates.xhtml', navTitle: 'Plates', body: '<div><img src="img/plate%201.jpeg"/></div>' },
        {
          file: 'map.xhtml',
          body: '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="img/map.png"/></svg>',
        },
      ],
      {
        'img/legend.png': picture('Blue lines are rivers'),
        'img/plate 1.jpeg': picture('Plate I: the northern coast'),
        'img/map.png': picture('ATLAS of the World'),
      },
    );
    const { ocr, log } = fakeOcr();
    const doc = await parseEpub(book, 'atlas.epub', { imageOcr: ocr });
    expectOffsets(doc);
    expect(log.offers).toEqual([3]);
    expect(rows(doc)).toEqual([
      ['heading', 'Maps', undefined],
      ['paragraph', 'The legend is below and explains symbols.', undefined],
      ['paragraph', 'Text in picture: Blue lines are rivers', undefined],
      ['paragraph', 'After.', undefined],
      ['heading', 'Plates', undefined],
      ['paragraph', 'Text in picture: Plate I: the northern coast', undefined],
      ['paragraph', 'Text in picture: ATLAS of the World', undefined],
    ]);
    const plain = await parseEpub(book, 'atlas.epub', { imageOcr: fakeOcr(false).ocr });
    expect(plain.blocks.map((b) => b.text)).toEqual(['Maps', 'The legend is below and explains symbols.', 'After.']);
  });

  it('EPUB: pictures in headings, tables, lists and <picture> stand after their block; one above a chapter’s heading goes under it; the cover is not read', async () => {
    const book = makeEpub(
      'Rivers',
      [
        {
          file: 'a.xhtml',
          body: [
            '<img src="top.png"/><h1>Rivers <img src="h.png"/></h1><p>Long rivers.</p>',
            '<table><tr><th>River</th><th>Map</th></tr><tr><td>Nile</td><td><img src="t.png"/></td></tr><tr><td>Congo</td><td><picture><img src="tp.png"/></picture></td></tr></table>',
            '<ul><li>Delta <img src="l.png"/></li></ul>',
            '<picture><source srcset="p.webp"/><img src="p.png"/></picture>',
            '<p><img src="cover.png"/></p>',
          ].join(''),
        },
      ],
      {
        'top.png': picture('Chapter one banner text'),
        'h.png': picture('Heading icon with words'),
        't.png': picture('Map of the Nile basin'),
        'tp.png': picture('Map of the Congo basin'),
        'l.png': picture('Delta sketch caption'),
        'p.png': picture('Picture element caption'),
        'cover.png': picture('RIVERS a book cover'),
      },
      'cover.png',
    );
    const { ocr, log } = fakeOcr();
    const doc = await parseEpub(book, 'rivers.epub', { imageOcr: ocr });
    expect(log.offers).toEqual([6]);
    expect(doc.blocks.map((b) => b.text)).toEqual([
      'Rivers',
      'Text in picture: Chapter one banner text',
      'Text in picture: Heading icon with words',
      'Long rivers.',
      'River | Map\nNile\nCongo',
      'Text in picture: Map of the Nile basin',
      'Text in picture: Map of the Congo basin',
      '- Delta',
      'Text in picture: Delta sketch caption',
      'Text in picture: Picture element caption',
    ]);
  });

  it('looks at a bounded number of places and bytes, however often a file names its pictures', async () => {
    const reads = { n: 0 };
    const counted = (bytes: Uint8Array) => async () => {
      reads.n++;
      return bytes;
    };
    // Unnamed pictures (as mammoth gives them), each too small to offer: every one would be read.
    const icons = Array.from({ length: 1000 }, (_, i) => ({
      mediaType: 'image/png',
      read: counted(picture(`icon ${i}`, { width: 100, height: 100 })),
      at: 0,
    }));
    const { ocr, log } = fakeOcr();
    await withImageText([{ kind: 'paragraph', text: 'Body' }], icons, ocr);
    expect(reads.n).toBe(4 * MAX_PICTURES);
    expect(log.offers).toEqual([]);
    // One large picture named a thousand times: read until the byte budget is spent, then no more.
    reads.n = 0;
    const big = picture('A large scan', { bytes: 3 * 1024 * 1024 });
    const same = Array.from({ length: 1000 }, () => ({ mediaType: 'image/png', read: counted(big), at: 1 }));
    const doc = await withImageText([{ kind: 'paragraph', text: 'Body' }], same, fakeOcr().ocr);
    expect(reads.n).toBe(Math.ceil((128 * 1024 * 1024) / big.length));
    expect(doc.blocks.map((b) => b.text)).toEqual(['Body', 'Text in picture: A large scan']);
  });

  it('DOCX: a picture’s text stands where the picture does, and the same picture twice is read once', async () => {
    const body = [
      docxPara('Setup', 'Heading1'),
      docxPara('Open the settings screen:'),
      docxPicture(0),
      docxPara('Then save.'),
      docxPicture(1),
    ].join('');
    const shot = picture('Settings > Network > Proxy');
    const doc = await parseDocx(
      makeDocx(body, [
        { name: 'image1.png', bytes: shot },
        { name: 'image2.png', bytes: shot },
      ]),
      'guide.docx',
      { imageOcr: fakeOcr().ocr },
    );
    expectOffsets(doc);
    expect(rows(doc)).toEqual([
      ['heading', 'Setup', undefined],
      ['paragraph', 'Open the settings screen:', undefined],
      ['paragraph', 'Text in picture: Settings > Network > Proxy', undefined],
      ['paragraph', 'Then save.', undefined],
    ]);
    expect(doc.ocrImages).toEqual([{ page: 0, key: 'key:Settings > Network > Proxy' }]);
  });
});
