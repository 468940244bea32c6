// Shared by the ingestion tests: fixture paths, the offsets invariant, a pdf.js loader for Node, tiny PDF and ZIP writers.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import type { PdfjsModule } from '../../../src/lib/ingest/pdf';
import type { ParsedDocument } from '../../../src/lib/ingest/types';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** CI checks out ../shared beside the clone; LECTERN_SHARED overrides. */
export const sharedDir = process.env.LECTERN_SHARED ?? path.resolve(repoRoot, '../shared');

export function readShared(rel: string): Uint8Array {
  const file = path.join(sharedDir, 'data/docs', rel);
  if (!existsSync(file)) throw new Error(`Missing shared test data ${file}; set LECTERN_SHARED to the shared/ folder.`);
  return new Uint8Array(readFileSync(file));
}

export function readFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(repoRoot, 'test/fixtures/docs/ingest', name)));
}

/** Node runs the legacy pdf.js build (the modern one needs newer runtime features). */
export const loadPdfjs = () => import('pdfjs-dist/legacy/build/pdf.mjs') as Promise<PdfjsModule>;

/** Whitespace word count: the stand-in tokenizer for chunking tests. */
export const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Every block's offsets index its text exactly, blocks are separated by blank lines, and nothing is empty. */
export function expectOffsets(doc: ParsedDocument): void {
  let expected = 0;
  doc.blocks.forEach((b, i) => {
    expect(doc.text.slice(b.start, b.end)).toBe(b.text);
    expect(b.text.trim()).not.toBe('');
    if (i > 0) expect(doc.text.slice(expected, b.start)).toBe('\n\n');
    expected = b.end;
  });
  expect(doc.text.length).toBe(expected);
  expect(doc.text).toBe(doc.blocks.map((b) => b.text).join('\n\n'));
}

export interface PdfText {
  x: number;
  y: number;
  text: string;
  size?: number;
  /** Set in Helvetica-Bold instead of Helvetica. */
  bold?: boolean;
}

/**
 * Writes a minimal PDF (Helvetica and Helvetica-Bold, one content stream per page, US Letter) with text at given
 * positions; `raw[i]`, when given, is appended to page i's content stream as is (an inline image, say).
 */
export function makePdf(pages: PdfText[][], raw: readonly (string | undefined)[] = []): Uint8Array {
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + i * 2);
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  pages.forEach((texts, i) => {
    const esc = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
    const stream = [
      ...texts.map((t) => `BT /${t.bold ? 'F2' : 'F1'} ${t.size ?? 10} Tf ${t.x} ${t.y} Td (${esc(t.text)}) Tj ET`),
      ...(raw[i] === undefined ? [] : [raw[i]]),
    ].join('\n');
    objects[pageIds[i]!] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >> >> >> /Contents ${pageIds[i]! + 1} 0 R >>`;
    objects[pageIds[i]! + 1] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  });
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = out.length;
    out += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Uint8Array.from(out, (c) => c.charCodeAt(0));
}

/** The AppError a promise rejects with; fails the test when it resolves or throws anything else. */
export async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected an AppError');
}

export { makeZip, type ZipFile } from './zip-writer';
