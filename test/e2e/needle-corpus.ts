// The needle corpus: Rust book chapters from the shared data folder, one with an inserted passage, and the queries.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared data folder beside the clone (as CI has it), or $LECTERN_SHARED. */
export const SHARED = process.env.LECTERN_SHARED ?? fileURLToPath(new URL('../../../shared', import.meta.url));
const BOOK = join(SHARED, 'data/docs/markdown/rust-book/src');

export const CHAPTERS = [
  'ch04-02-references-and-borrowing.md',
  'ch08-01-vectors.md',
  'ch08-03-hash-maps.md',
  'ch16-01-threads.md',
];

/** The chapter that gets the inserted passage, at the end of its section on ownership. */
export const HOST = 'ch08-03-hash-maps.md';
const BEFORE = '### Updating a Hash Map';
export const NEEDLE =
  'The lighthouse keeper on Skerryvore wound the clockwork of the lamp every four hours, and the logbook names ' +
  'Alan Stevenson as the engineer who designed the tower.';

/** Questions answered by the inserted passage: it must rank first after rerank. */
export const NEEDLE_QUESTIONS = [
  'How often did the keeper wind the clockwork of the lamp?',
  'Who designed the Skerryvore lighthouse tower?',
];

/**
 * Queries whose words each occur in several passages of the chapters but all together in only one, which BM25
 * ranks first (needle.spec.ts checks both on the app's chunks): that passage must reach the top five.
 */
export const COOCCURRENCE_QUERIES = ['ownership without problems', 'rust spawn time', 'dropped borrow string'];

/** One chapter's text; the host chapter with the needle inserted. Throws when the shared folder is missing. */
export function chapter(name: string): string {
  const path = join(BOOK, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: the needle corpus is read from the shared data folder (LECTERN_SHARED).`);
  }
  const text = readFileSync(path, 'utf8');
  if (name !== HOST) return text;
  const at = text.indexOf(`\n${BEFORE}\n`);
  if (at < 0) throw new Error(`"${BEFORE}" is no longer in ${name}: pick another place for the needle.`);
  return `${text.slice(0, at)}\n${NEEDLE}\n${text.slice(at)}`;
}
