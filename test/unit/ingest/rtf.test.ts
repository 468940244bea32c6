// RTF: Word-style headings (style sheet and outline level), Unicode and code-page text, tables, skipped destinations, damage.
import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../../src/lib/ingest/chunker';
import { parseFile } from '../../../src/lib/ingest/parse-file';
import { parseRtf, RTF_MAX_DEPTH } from '../../../src/lib/ingest/rtf';
import { expectOffsets, failure, utf8, words } from './helpers';

/** Bytes of an RTF source written as Latin-1 (RTF is 7-bit; \'hh escapes carry the rest). */
const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** The shape Word writes: font and colour tables, a style sheet naming heading styles, document info, then the body. */
const wordLike =
  String.raw`{\rtf1\ansi\ansicpg1252\deff0\nouicompat\deflang1033` +
  String.raw`{\fonttbl{\f0\fnil\fcharset0 Calibri;}{\f1\fnil\fcharset204 Times New Roman CYR;}{\f2\fnil\fcharset128 MS Gothic;}}` +
  String.raw`{\colortbl ;\red255\green0\blue0;}` +
  String.raw`{\stylesheet{\s0\snext0 Normal;}{\s1\sbasedon0\snext0 heading 1;}{\s2\sbasedon0\snext0\outlinelevel1 Subhead;}{\*\cs10\additive Default Paragraph Font;}}` +
  String.raw`{\info{\title Field Notes}{\author Someone Private}}` +
  String.raw`{\*\generator Riched20 10.0.19041}\viewkind4\uc1` +
  '\n' +
  String.raw`\pard\s1\b\f0\fs32 Gulls of the Coast\par` +
  '\n' +
  String.raw`\pard\s0\b0\fs22 Caf\'e9 owners feed them \ldblquote daily\rdblquote ; see \u8364?5 and \u-3913?\'3f.\par` +
  String.raw`\pard\s2 Counts\par` +
  String.raw`\pard\intbl Species\cell Count\cell\row` +
  String.raw`\pard\intbl Herring gull\cell 42\cell\row` +
  String.raw`\pard Hidden: {\v secret words}visible {\*\bkmkstart mark}after.\par` +
  String.raw`{\field{\*\fldinst HYPERLINK "https://example.com"}{\fldrslt the link text}}\par` +
  String.raw`{\pict\pngblip 89504e470d0a1a0a}\par` +
  String.raw`\pard\outlinelevel0 Direct Outline\par` +
  String.raw`\pard{\f1 \'cf\'f0\'e8\'e2\'e5\'f2}\par` +
  String.raw`{\f2 \'93\'fa\'96\'7b}\par ` +
  String.raw`Escaped \{braces\} and \\backslash\par` +
  '}';

describe('parseRtf', () => {
  it('reads style-sheet and outline headings, paragraphs with code-page and Unicode text, and tables', async () => {
    const doc = await parseRtf(latin1(wordLike), 'notes.rtf');
    expectOffsets(doc);
    expect(doc.kind).toBe('rtf');
    expect(doc.title).toBe('Field Notes');
    expect(doc.blocks.map((b) => [b.kind, b.level ?? null, b.text])).toEqual([
      ['heading', 1, 'Gulls of the Coast'],
      ['paragraph', null, 'Café owners feed them \u201Cdaily\u201D; see €5 and \uF0B7?.'],
      ['heading', 2, 'Counts'],
      ['table', null, 'Species | Count\nHerring gull | 42'],
      ['paragraph', null, 'Hidden: visible after.'],
      ['paragraph', null, 'the link text'],
      ['heading', 1, 'Direct Outline'],
      ['paragraph', null, 'Привет'],
      ['paragraph', null, '日本'],
      ['paragraph', null, 'Escaped {braces} and \\backslash'],
    ]);
    // Nothing from the tables, the info block's author, the field code or the picture's bytes.
    for (const hidden of [
      'Calibri',
      'Someone Private',
      'HYPERLINK',
      '89504e',
      'secret',
      'Riched20',
      'Default Paragraph',
    ])
      expect(doc.text).not.toContain(hidden);
  });

  it('gives passages their heading path', async () => {
    const doc = await parseRtf(latin1(wordLike), 'notes.rtf');
    const chunks = await chunkDocument(doc, { maxTokens: 8, overlapTokens: 0, countTokens: words });
    expect(chunks.find((c) => c.text.includes('Herring gull'))?.headingPath).toEqual(['Gulls of the Coast', 'Counts']);
  });

  it('skips binary data by its length, whatever bytes it holds', async () => {
    const bin = latin1(String.raw`{\rtf1 Before {\pict\bin6 }}{{{ }after.\par}`);
    const doc = await parseRtf(bin, 'b.rtf');
    expect(doc.text).toBe('Before after.');
  });

  it('takes the title from the first level-1 heading, else the file name', async () => {
    const noInfo = latin1(String.raw`{\rtf1{\stylesheet{\s1 heading 1;}}\pard\s1 Chapter One\par\pard Text.\par}`);
    expect((await parseRtf(noInfo, 'c.rtf')).title).toBe('Chapter One');
    expect((await parseRtf(latin1(String.raw`{\rtf1 Just text.}`), 'memo.rtf')).title).toBe('memo');
  });

  it('calls damaged, empty and over-nested files by their own codes', async () => {
    const notRtf = await failure(parseRtf(utf8('hello world'), 'fake.rtf'));
    expect(notRtf.code).toBe('RTF_INVALID');
    expect(notRtf.message).toContain('fake.rtf');
    expect((await failure(parseRtf(latin1(String.raw`{\rtf1{\fonttbl{\f0 Arial;}}}`), 'e.rtf'))).code).toBe('NO_TEXT');
    const deep = latin1(`{\\rtf1 ${'{'.repeat(RTF_MAX_DEPTH + 5)}x}`);
    const err = await failure(parseRtf(deep, 'deep.rtf'));
    expect(err.code).toBe('RTF_INVALID');
    expect(err.message).toContain('nest');
  });

  it('keeps notes, headers and nested tables from breaking the body, and reads text boxes', async () => {
    const text = async (src: string) => (await parseRtf(latin1(src), 'x.rtf')).blocks.map((b) => b.text);
    expect(await text(String.raw`{\rtf1 \pard Body text{\footnote\pard\plain Note text\par} continues.\par}`)).toEqual([
      'Body text continues.',
    ]);
    expect(
      await text(String.raw`{\rtf1 \trowd\pard\intbl A\cell{\header\pard\intbl H\cell\row}B\cell\row\pard After.\par}`),
    ).toEqual(['A | B', 'After.']);
    expect(
      await text(
        String.raw`{\rtf1 \trowd\pard\intbl A\cell\pard\intbl\itap2 x\nestcell y\nestcell{\*\nesttableprops\trowd\nestrow}\pard\intbl C\cell\row\pard End.\par}`,
      ),
    ).toEqual(['A | x y C', 'End.']);
    expect(
      await text(
        String.raw`{\rtf1 \pard Body\par{\shp{\*\shpinst{\sp{\sn fillColor}{\sv 255}}{\shptxt \pard Text box words\par}}{\shprslt{\*\do\dptxbxtext Text box words}}}\pard After\par}`,
      ),
    ).toEqual(['Body', 'Text box words', 'After']);
  });

  it('ends the last paragraph in its own style when the file has no final \\par, and keeps text after a table in order', async () => {
    const last = await parseRtf(
      latin1(String.raw`{\rtf1{\stylesheet{\s0 Normal;}{\s1 heading 1;}}\pard\s1 Title}`),
      'l.rtf',
    );
    expect(last.blocks.map((b) => [b.kind, b.text])).toEqual([['heading', 'Title']]);
    const after = await parseRtf(
      latin1(String.raw`{\rtf1 \trowd\pard\intbl A\cell B\cell\row After table\par\pard Next\par}`),
      'a.rtf',
    );
    expect(after.blocks.map((b) => b.text)).toEqual(['A | B', 'After table', 'Next']);
  });

  it('drops tracked deletions, and reads a file with a BOM or whitespace before its header', async () => {
    const doc = await parseRtf(latin1(String.raw`{\rtf1 Kept {\deleted removed }words.}`), 'd.rtf');
    expect(doc.text).toBe('Kept words.');
    const bom = Uint8Array.from([0xef, 0xbb, 0xbf, 0x0a, ...latin1(String.raw`{\rtf1 With a BOM.}`)]);
    expect((await parseFile(bom, 'bom.rtf')).text).toBe('With a BOM.');
  });

  it('decodes a long run of raw code-page bytes in parts without cutting a character', async () => {
    // 40,000 two-byte Shift-JIS characters after one ASCII byte: a 64 KiB part ends inside a character.
    const sjis = [0x61, ...Array.from({ length: 40_000 }, () => [0x93, 0xfa]).flat()];
    const bytes = Uint8Array.from([...latin1(String.raw`{\rtf1\ansi\ansicpg932 `), ...sjis, 0x7d]);
    const doc = await parseRtf(bytes, 'long.rtf');
    expect(doc.text).toBe(`a${'日'.repeat(40_000)}`);
  });

  it('keeps the text of a file cut off mid-group', async () => {
    const cut = latin1(String.raw`{\rtf1\pard First paragraph.\par\pard Second {\b bold`);
    expect((await parseRtf(cut, 'cut.rtf')).blocks.map((b) => b.text)).toEqual(['First paragraph.', 'Second bold']);
  });

  it('reads runs of blank groups and rows in linear time', async () => {
    const spaces = ' '.repeat(500_000);
    for (const hostile of [
      `{\\rtf1 a\\par ${spaces}}${'{}'.repeat(100_000)}`,
      `{\\rtf1 x\\par ${spaces}${'\\row'.repeat(100_000)}}`,
    ]) {
      const started = performance.now();
      await parseRtf(latin1(hostile), 'blank.rtf');
      // Loose: re-scanning the blank text at each group or row took 45 s for 1 MB.
      expect(performance.now() - started).toBeLessThan(10_000);
    }
    expect((await parseRtf(latin1(String.raw`{\rtf1{\info{\title Annual\par Report}} Body.}`), 't.rtf')).title).toBe(
      'Annual Report',
    );
  });

  it('reads a long document in linear time', async () => {
    const para = String.raw`\pard Some text with \'e9 and \u8364? in it.\par`;
    const big = latin1(`{\\rtf1 ${para.repeat(40_000)}}`);
    const started = performance.now();
    const doc = await parseRtf(big, 'big.rtf');
    expect(doc.blocks.length).toBe(40_000);
    // A loose bound that only a quadratic pass (minutes at this size) would break.
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});

describe('parseFile with RTF', () => {
  it('detects RTF by its header whatever the name, and sends a damaged .rtf to the RTF reader', async () => {
    const doc = await parseFile(latin1(String.raw`{\rtf1 Hello.}`), 'download.bin');
    expect(doc.kind).toBe('rtf');
    expect((await parseFile(latin1(String.raw`{\rtf1 Hello.}`), 'x', 'application/rtf')).kind).toBe('rtf');
    expect((await failure(parseFile(utf8('not rtf at all'), 'letter.rtf'))).code).toBe('RTF_INVALID');
  });
});
