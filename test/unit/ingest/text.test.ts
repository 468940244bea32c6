// Plain-text decoding (UTF-8, UTF-16 by BOM and by shape, invalid bytes) and paragraph splitting.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import { decodeText, parseText } from '../../../src/lib/ingest/text';
import { expectOffsets, readFixture, utf8 } from './helpers';

function utf16(text: string, bigEndian: boolean, bom = true): Uint8Array {
  const out: number[] = bom ? (bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]) : [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out.push(...(bigEndian ? [c >> 8, c & 0xff] : [c & 0xff, c >> 8]));
  }
  return Uint8Array.from(out);
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
  throw new Error('expected an AppError');
}

describe('decodeText', () => {
  it('strips a UTF-8 BOM', () => {
    expect(decodeText(Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8('héllo')]))).toEqual({
      text: 'héllo',
      encoding: 'utf-8',
      warnings: [],
    });
  });

  it('decodes UTF-16 LE and BE by their BOM, astral characters included', () => {
    const sample = 'Grüße, 世界 𝄞';
    expect(decodeText(utf16(sample, false)).text).toBe(sample);
    expect(decodeText(utf16(sample, false)).encoding).toBe('utf-16le');
    expect(decodeText(utf16(sample, true)).text).toBe(sample);
    expect(decodeText(utf16(sample, true)).encoding).toBe('utf-16be');
  });

  it('recognizes BOM-less UTF-16 from its zero bytes', () => {
    const sample = 'Plain ASCII text written by an old Windows tool.';
    expect(decodeText(utf16(sample, false, false)).text).toBe(sample);
    expect(decodeText(utf16(sample, true, false)).text).toBe(sample);
  });

  it('replaces invalid UTF-8 and warns', () => {
    const bytes = Uint8Array.from([...utf8('caf'), 0xe9, ...utf8(' au lait')]); // Latin-1 é
    const out = decodeText(bytes);
    expect(out.text).toBe('caf\uFFFD au lait');
    expect(out.warnings).toEqual(['FILE_DECODE_WARNING']);
  });

  it('honours a declared encoding when there is no BOM', () => {
    expect(decodeText(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), 'windows-1252').text).toBe('café');
    expect(decodeText(utf8('plain'), 'utf-16').text).toBe('plain'); // a mislabel, as browsers treat it
  });
});

describe('parseText', () => {
  it('splits paragraphs on blank lines, keeps line breaks inside them, normalizes CRLF', async () => {
    const doc = await parseText(
      utf8('First line\r\nsecond line\r\n\r\n  \r\nNext paragraph.\n\n\n\nLast'),
      'notes.txt',
    );
    expect(doc.kind).toBe('text');
    expect(doc.title).toBe('notes');
    expect(doc.blocks.map((b) => b.text)).toEqual(['First line\nsecond line', 'Next paragraph.', 'Last']);
    expect(doc.blocks.every((b) => b.kind === 'paragraph')).toBe(true);
    expect(doc.warnings).toEqual([]);
    expectOffsets(doc);
  });

  it('carries the decode warning into the document', async () => {
    const doc = await parseText(
      Uint8Array.from([
        ...utf8('Menu: caf'),
        0xe9,
        ...utf8(' au lait, cr'),
        0xe8,
        ...utf8('me br'),
        0xfb,
        ...utf8('l'),
        0xe9,
        0x65,
      ]),
      'menu.txt',
    );
    expect(doc.warnings).toEqual(['FILE_DECODE_WARNING']);
    expect(doc.text).toContain('\uFFFD');
  });

  it('refuses empty, blank and binary input with specific codes', async () => {
    expect(await code(parseText(new Uint8Array(0), 'empty.txt'))).toBe('FILE_EMPTY');
    expect(await code(parseText(Uint8Array.from([0xef, 0xbb, 0xbf]), 'bom.txt'))).toBe('FILE_EMPTY');
    expect(await code(parseText(utf8(' \n\t\n  '), 'blank.txt'))).toBe('NO_TEXT');
    const junk = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256);
    expect(await code(parseText(junk, 'junk.txt'))).toBe('FILE_UNSUPPORTED_TYPE');
  });

  it('keeps every script of the Universal Declaration intact', async () => {
    const doc = await parseText(readFixture('UDHR_first_article_all.txt'), 'UDHR_first_article_all.txt');
    expectOffsets(doc);
    expect(doc.warnings).toEqual([]);
    expect(doc.text).toContain('是人都生而自由，在尊严和权利上一律平等。');
    expect(doc.text).toContain('Все люди рождаются свободными и равными в своем достоинстве и правах.');
    expect(doc.text).toContain('يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق.');
    expect(doc.blocks.length).toBeGreaterThan(300);
  });
});
