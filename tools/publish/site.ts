// Writes a built library into <out>/library (only new shards, stale ones removed) and copies the built app beside it, opening the library by default.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { BuiltLibrary } from '../../src/lib/published/build';
import { MANIFEST_FILE } from '../../src/lib/published/format';
import { UserError } from './user-error';

export const LIBRARY_DIR = 'library';
/** Where a build keeps its sample library (public/sample/ → dist/sample/), which emitApp leaves out. */
const SAMPLE_DIR = 'sample';

/** A path with symlinks resolved as far as it exists (the rest, not yet created, appended as given). */
function realPath(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const parent = dirname(path);
  return parent === path ? path : join(realPath(parent), basename(path));
}

/** Whether `inner` is `outer` or lies inside it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Refuses an output folder whose files emitApp would replace or delete (it removes the app's folders, such as
 * `assets/`, before copying): only a missing or empty folder, or one a previous publish wrote (it has the library's
 * manifest), is written to. The published folder may not hold the output nor lie inside it.
 */
export function checkOut(folder: string, out: string, libraryDir = LIBRARY_DIR): void {
  const [from, to] = [realPath(folder), realPath(out)];
  if (within(from, to)) throw new UserError(`--out ${out} holds the folder published; choose a folder outside it.`);
  if (within(to, from)) throw new UserError(`--out ${out} is inside the folder published; choose a folder outside it.`);
  if (!existsSync(to)) return;
  if (!statSync(to).isDirectory()) throw new UserError(`--out ${out} is a file, not a folder.`);
  if (readdirSync(to).length > 0 && !existsSync(join(to, libraryDir, MANIFEST_FILE)))
    throw new UserError(
      `--out ${out} is not empty and holds no earlier publish (${libraryDir ? `${libraryDir}/` : ''}${MANIFEST_FILE}); ` +
        'choose an empty or new folder, so none of its files are replaced.',
    );
}

export interface ShardCounts {
  written: number;
  kept: number;
  removed: number;
}

function writeAtomic(file: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, bytes);
  renameSync(`${file}.tmp`, file);
}

/**
 * Writes the shards that are not there yet into <out>/<libraryDir> (`''`: <out> itself, for --library-only) (their names carry their hash, so one with the same name and size holds
 * the same bytes), then the manifest, then removes shard files no longer referenced: a host serving the folder
 * mid-write never sees a manifest naming a missing shard.
 */
export function writeLibrary(out: string, built: BuiltLibrary, libraryDir = LIBRARY_DIR): ShardCounts {
  const dir = join(out, libraryDir);
  const counts: ShardCounts = { written: 0, kept: 0, removed: 0 };
  for (const [rel, bytes] of built.files) {
    const file = join(dir, rel);
    if (existsSync(file) && statSync(file).size === bytes.length) {
      counts.kept++;
      continue;
    }
    writeAtomic(file, bytes);
    counts.written++;
  }
  writeAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(built.manifest, null, 2)}\n`);
  const shards = join(dir, 'shards');
  for (const name of existsSync(shards) ? readdirSync(shards) : []) {
    if (built.files.has(`shards/${name}`)) continue;
    rmSync(join(shards, name), { force: true });
    if (name.endsWith('.bin')) counts.removed++;
  }
  return counts;
}

/**
 * An original's URL relative to the manifest: `files/` and its path, each segment percent-encoded, so a name with
 * `#`, `?`, `%` or a space links to its file (which keeps its real name on disk).
 */
export function originalFileUrl(path: string): string {
  return `files/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** Copies the originals to <out>/<libraryDir>/files/<path>, and removes the ones no longer published. */
export function writeOriginals(
  out: string,
  files: { path: string; source: string }[] | null,
  libraryDir = LIBRARY_DIR,
): void {
  const dir = join(out, libraryDir, 'files');
  if (!files) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const wanted = new Set(files.map((f) => join(dir, f.path)));
  for (const f of files) {
    const target = join(dir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(f.source, target);
  }
  const prune = (d: string): void => {
    for (const entry of existsSync(d) ? readdirSync(d, { withFileTypes: true }) : []) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        prune(p);
        if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
      } else if (!wanted.has(p)) rmSync(p, { force: true });
    }
  };
  prune(dir);
}

/** Runs `vite build` in the package root, so dist/ holds the app. */
export function buildApp(root: string): void {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) throw new UserError('dist/ has no built app and Vite is not installed to build it.');
  const run = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0 || !existsSync(join(root, 'dist', 'index.html'))) throw new UserError('vite build failed.');
}

const escapeAttr = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Adds origins to the connect-src of a CSP (in index.html's meta tag or _headers), leaving the rest as it is. */
export function allowConnect(policy: string, origins: string[]): string {
  // The directive itself (it starts with 'self'), not a comment that names it, as _headers has.
  return policy.replace(/connect-src ('self'[^;"\n]*)/, (whole, list: string) => {
    const have = list.split(/\s+/);
    const add = origins.filter((o) => !have.includes(o));
    return add.length ? `connect-src ${[...have, ...add].join(' ')}` : whole;
  });
}

/**
 * The app's page, opening the published library by default: `<meta name="lectern-library">`, and, for a registry
 * URL, `<meta name="lectern-registry">` with its origins (and its models') allowed by the CSP's connect-src.
 */
export function pageWithLibrary(
  html: string,
  registry: { url: string; origins: string[] } | null,
): { html: string; changed: boolean } {
  const tags = [`<meta name="lectern-library" content="${LIBRARY_DIR}/${MANIFEST_FILE}" />`];
  if (registry) tags.push(`<meta name="lectern-registry" content="${escapeAttr(registry.url)}" />`);
  let out = html.replace(/\s*<meta name="lectern-(library|registry)"[^>]*>/g, '');
  if (registry) {
    out = out.replace(
      /(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(")/,
      (_w, a, policy: string, b) => {
        return `${a}${allowConnect(policy, registry.origins)}${b}`;
      },
    );
  }
  if (!out.includes('</head>')) throw new UserError('The built index.html has no </head>.');
  out = out.replace('</head>', `  ${tags.join('\n    ')}\n  </head>`);
  return { html: out, changed: out !== html };
}

/** Copies dist/ into `out` (replacing the app's own folders, so no stale bundle stays) and marks its page. */
export function emitApp(dist: string, out: string, registry: { url: string; origins: string[] } | null): void {
  for (const entry of readdirSync(dist, { withFileTypes: true })) {
    const target = join(out, entry.name);
    // The app's own sample library (npm run sample) has no place on a site that publishes its own.
    if (entry.name === LIBRARY_DIR || entry.name === SAMPLE_DIR) continue;
    if (entry.isDirectory()) rmSync(target, { recursive: true, force: true });
    cpSync(join(dist, entry.name), target, { recursive: true });
  }
  const index = join(out, 'index.html');
  writeAtomic(index, pageWithLibrary(readFileSync(index, 'utf8'), registry).html);
  const headers = join(out, '_headers');
  if (registry && existsSync(headers))
    writeAtomic(headers, allowConnect(readFileSync(headers, 'utf8'), registry.origins));
  const sw = join(out, 'sw.js');
  if (existsSync(sw)) writeAtomic(sw, withPageRevision(readFileSync(sw, 'utf8'), readFileSync(index, 'utf8')));
}

/**
 * The service worker with its precache revision of index.html set to the page as published (its meta tags): the
 * build's revision is the unmodified page's, so a re-publish that changed only the page (another registry) would
 * leave sw.js byte for byte the same, and returning visitors on the old page until Lectern itself changes.
 */
export function withPageRevision(sw: string, page: string): string {
  const revision = createHash('md5').update(page).digest('hex');
  const out = sw.replace(/(\{url:"index\.html",revision:")[0-9a-f]+("\})/, `$1${revision}$2`);
  if (out === sw && !sw.includes(`revision:"${revision}"`))
    throw new Error('sw.js lists no index.html revision: the app build changed its service worker layout');
  return out;
}
