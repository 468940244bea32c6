// Plain helpers of the first run: the sample library's address and presence check, its example questions, and quick notes' names and files.

/** Where `npm run sample` puts the sample library, relative to the app's page (public/sample/ → dist/sample/). */
export const SAMPLE_MANIFEST = 'sample/lectern-library.json';

/** Questions the sample answers well (its chapters: ownership, borrowing, enums, errors, lifetimes, threads). */
export const SAMPLE_QUESTIONS = [
  'What is ownership?',
  'What is the difference between a reference and a mutable reference?',
  'How does the ? operator propagate errors?',
  'How do I spawn a thread and wait for it?',
] as const;

/**
 * Whether this build ships the sample: its manifest answers at `url` as JSON with a format and documents. A static host
 * that answers every missing path with the app's page (an SPA fallback) says 200 there too, so the body is checked.
 */
export async function sampleAvailable(url: string, fetcher: typeof fetch = fetch): Promise<boolean> {
  try {
    const res = await fetcher(url, { cache: 'no-cache', credentials: 'same-origin' });
    if (!res.ok) return false;
    const body = (await res.json()) as unknown;
    if (typeof body !== 'object' || body === null) return false;
    const { format, documents } = body as { format?: unknown; documents?: unknown };
    return typeof format === 'number' && Array.isArray(documents) && documents.length > 0;
  } catch {
    return false;
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A quick note's file name from the local time, "Note 2026-12-03 14:05.txt"; when the library already has that name,
 * " (2)", " (3)"… is added, so a second note in the same minute is a document of its own, not a replacement.
 */
export function noteName(at: Date, taken: ReadonlySet<string> = new Set()): string {
  const base = `Note ${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}`;
  let name = `${base}.txt`;
  for (let n = 2; taken.has(name); n++) name = `${base} (${n}).txt`;
  return name;
}

/** The note's text as pasted, or null when it holds nothing but white space (no empty document). */
export function noteText(text: string): string | null {
  const trimmed = text.replace(/\r\n?/g, '\n').trim();
  return trimmed ? `${trimmed}\n` : null;
}

/** A quick note as a plain-text file, ready for the library's ordinary import. */
export function noteFile(text: string, at: Date, taken: ReadonlySet<string> = new Set()): File | null {
  const body = noteText(text);
  if (body === null) return null;
  return new File([body], noteName(at, taken), { type: 'text/plain', lastModified: at.getTime() });
}
