// The first run's plain helpers: a quick note's name and file, and the check that this build ships the sample library.
import { describe, expect, it } from 'vitest';
import { noteFile, noteName, noteText, sampleAvailable } from '../../../src/lib/state/first-run';

const at = new Date(2026, 11, 3, 14, 5, 59);

describe('quick notes', () => {
  it('are named by the local date and minute, with a number when that name is taken', () => {
    expect(noteName(at)).toBe('Note 2026-12-03 14:05.txt');
    expect(noteName(new Date(2027, 0, 9, 7, 3))).toBe('Note 2027-01-09 07:03.txt');
    const taken = new Set(['Note 2026-12-03 14:05.txt', 'Note 2026-12-03 14:05 (2).txt']);
    expect(noteName(at, taken)).toBe('Note 2026-12-03 14:05 (3).txt');
  });

  it('keep the text as pasted, trimmed, with one line ending style; blank text makes no note', () => {
    expect(noteText('  \r\n\t ')).toBeNull();
    expect(noteText('')).toBeNull();
    expect(noteText('\r\nFirst line\r\nsecond\rthird  \n\n')).toBe('First line\nsecond\nthird\n');
  });

  it('become a plain-text file for the ordinary import', async () => {
    const file = noteFile('Borrowing rules:\none &mut or many &.', at)!;
    expect(file.name).toBe('Note 2026-12-03 14:05.txt');
    expect(file.type).toBe('text/plain');
    expect(file.lastModified).toBe(at.getTime());
    expect(await file.text()).toBe('Borrowing rules:\none &mut or many &.\n');
    expect(noteFile('   ', at)).toBeNull();
  });
});

describe('sampleAvailable', () => {
  const answer =
    (status: number, body: string, contentType = 'application/json'): typeof fetch =>
    async () =>
      new Response(body, { status, headers: { 'Content-Type': contentType } });
  const url = 'https://app.example/sample/lectern-library.json';

  it('is true for a manifest with a format and documents', async () => {
    const manifest = JSON.stringify({ format: 1, documents: [{ id: 'pub-1', name: 'ch04.md' }] });
    expect(await sampleAvailable(url, answer(200, manifest))).toBe(true);
  });

  it('is false when the build has none: a 404, the SPA fallback page, other JSON, an empty library, no network', async () => {
    expect(await sampleAvailable(url, answer(404, 'Not found', 'text/plain'))).toBe(false);
    expect(await sampleAvailable(url, answer(200, '<!doctype html><html></html>', 'text/html'))).toBe(false);
    expect(await sampleAvailable(url, answer(200, '{"name":"x"}'))).toBe(false);
    expect(await sampleAvailable(url, answer(200, 'null'))).toBe(false);
    expect(await sampleAvailable(url, answer(200, '{"format":1,"documents":[]}'))).toBe(false);
    const offline: typeof fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    expect(await sampleAvailable(url, offline)).toBe(false);
  });
});
