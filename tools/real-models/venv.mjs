// Finds the Python tooling venv that `npm run models:real` made, for the scripts that run Python in it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = fileURLToPath(new URL('.', import.meta.url));
export const root = resolve(here, '../..');
export const cache = resolve(process.env.LECTERN_CACHE ?? join(homedir(), '.cache', 'lectern'));

/** make.mjs's venv name: sha256 over requirements.lock's repo path, size and bytes, first 16 hex digits. */
function expectedVenv() {
  const f = join(here, 'requirements.lock');
  const bytes = readFileSync(f);
  const h = createHash('sha256')
    .update(`${f.slice(root.length)}\0${bytes.length}\0`)
    .update(bytes);
  return join(cache, `venv-${h.digest('hex').slice(0, 16)}`);
}

/** The venv make.mjs names today, else the newest complete one (make.mjs may have changed its naming); null: none. */
export function findVenv(tool) {
  const expected = expectedVenv();
  if (existsSync(join(expected, '.complete'))) return expected;
  const others = existsSync(cache)
    ? readdirSync(cache)
        .filter((d) => d.startsWith('venv-') && existsSync(join(cache, d, '.complete')))
        .map((d) => join(cache, d))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  if (others[0]) console.error(`${tool}: ${expected} is missing; using ${others[0]}`);
  return others[0] ?? null;
}
