// `lectern publish` end to end on a tiny folder with the stand-in models: the site's layout, its manifest, and a re-run after one edit that rebuilds one document and writes only the shards that changed.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbedderSpec, LateInteractionSpec, Registry } from '../../../src/lib/config/registry-types';
import { modelFingerprint, type PublishedManifest } from '../../../src/lib/published/format';
import type { PublishStats } from '../../../tools/publish/publish';
import { unpackShard } from '../../../src/lib/published/shard-codec';
import { sha256Hex } from '../../../src/lib/ingest/hash';
import { readFixture, repoRoot } from '../ingest/helpers';

const CLI = join(repoRoot, 'tools/publish/cli.mjs');
const REGISTRY = join(repoRoot, 'test/fixtures/standin/registry.json');
const CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; connect-src 'self' https://huggingface.co" />`;

let work: string;
let folder: string;
let out: string;
let app: string;

function publish(...extra: string[]) {
  const run = spawnSync(
    process.execPath,
    [
      CLI,
      'publish',
      folder,
      '--out',
      out,
      '--registry',
      REGISTRY,
      '--app',
      app,
      '--cache',
      join(work, 'cache'),
      ...extra,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const shardsOf = () => new Set(readdirSync(join(out, 'library/shards')));
const manifest = () => JSON.parse(readFileSync(join(out, 'library/lectern-library.json'), 'utf8')) as PublishedManifest;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lectern-publish-test-'));
  folder = join(work, 'docs');
  out = join(work, 'site');
  app = join(work, 'app');
  mkdirSync(join(folder, 'guide'), { recursive: true });
  mkdirSync(join(app, 'assets'), { recursive: true });
  writeFileSync(
    join(app, 'index.html'),
    `<!doctype html>\n<html>\n  <head>\n    ${CSP}\n  </head>\n  <body></body>\n</html>\n`,
  );
  writeFileSync(join(app, 'assets', 'index.js'), '// app\n');
  // The build's own sample library (npm run sample), which a site publishing its own library does not carry.
  mkdirSync(join(app, 'sample'));
  writeFileSync(join(app, 'sample', 'lectern-library.json'), '{}\n');
  const rust = join(repoRoot, 'test/fixtures/docs/rust');
  for (const name of readdirSync(rust)) writeFileSync(join(folder, name), readFileSync(join(rust, name)));
  writeFileSync(join(folder, 'guide', 'notes.txt'), 'Cargo builds crates.\n\nRelease profiles tune optimisation.\n');
  writeFileSync(
    join(folder, 'guide', 'page.html'),
    '<html><head><title>Ownership</title></head><body><h1>Ownership</h1><p>Each value has one owner.</p></body></html>',
  );
  writeFileSync(join(folder, 'picture.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  // PDF and DOCX: the parsers load pdf.js and mammoth on demand, after the CLI's entry module loaded.
  for (const name of ['alphatrans.pdf', 'page-breaks.docx', 'password.pdf'])
    writeFileSync(join(folder, 'guide', name), readFixture(name));
}, 10_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lectern publish', () => {
  it('publishes a folder: the app with its meta tag, the manifest and content-addressed shards', async () => {
    const first = publish('--name', 'Test docs', '--include-files', '--shard-kb', '1');
    expect(first.stderr).not.toMatch(/Error|at /);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Skipped picture.png');
    expect(first.stdout).toMatch(/\[10\/10\] guide\/password\.pdf: skipped, This PDF is protected by a password\./);
    expect(first.stdout).toContain('1 file(s) could not be read and were left out: guide/password.pdf');

    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<meta name="lectern-library" content="library/lectern-library.json" />');
    expect(html).toContain(CSP);
    expect(html).not.toContain('lectern-registry');
    expect(existsSync(join(out, 'assets', 'index.js'))).toBe(true);
    expect(existsSync(join(out, 'sample'))).toBe(false);

    const m = manifest();
    expect(m.format).toBe(1);
    expect(m.name).toBe('Test docs');
    expect(m.models.embedder).toMatchObject({ id: 'lectern-standin/bert-embedder', dims: 64, dtype: 'fp32' });
    expect(m.models.late).toMatchObject({ id: 'lectern-standin/colbert', dims: 32, dtype: 'fp32' });
    // Each model's fingerprint is that of its registry entry.
    const specs = (JSON.parse(readFileSync(REGISTRY, 'utf8')) as Registry).models;
    const spec = (id: string) => specs.find((s) => s.id === id) as EmbedderSpec | LateInteractionSpec;
    expect(m.models.embedder!.fingerprint).toBe(await modelFingerprint(spec(m.models.embedder!.id)));
    expect(m.models.late!.fingerprint).toBe(await modelFingerprint(spec(m.models.late!.id)));
    expect(m.chunking).toEqual({ maxTokens: 256, overlapTokens: 32 });
    const names = m.documents.map((d) => d.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(
      expect.arrayContaining(['guide/notes.txt', 'guide/alphatrans.pdf', 'guide/page-breaks.docx']),
    );
    expect(names).not.toContain('guide/password.pdf');
    expect(m.documents.find((d) => d.name === 'guide/alphatrans.pdf')).toMatchObject({ kind: 'pdf', pageCount: 1 });
    expect(m.documents.find((d) => d.name === 'guide/page-breaks.docx')?.kind).toBe('docx');
    for (const d of m.documents) {
      expect(d.id).toBe(`pub-${(await sha256Hex(d.name)).slice(0, 16)}`);
      expect(d.file).toBe(`files/${d.name}`);
      expect(readFileSync(join(out, 'library', d.file!))).toEqual(readFileSync(join(folder, d.name)));
    }
    expect(m.counts.passages).toBe(m.documents.reduce((n, d) => n + d.chunks, 0));
    expect(m.passages.length).toBeGreaterThan(2);
    // Every listed shard is there with its hash, and nothing else is.
    const refs = [m.lengths, ...m.keywords.shards, ...m.passages, ...m.dense!, ...m.tokens!];
    expect(shardsOf()).toEqual(new Set(refs.map((r) => r.file.replace('shards/', ''))));
    for (const r of refs) {
      const bytes = new Uint8Array(readFileSync(join(out, 'library', r.file)));
      expect(await sha256Hex(bytes)).toBe(r.sha256);
    }
    const dense = unpackShard(new Uint8Array(readFileSync(join(out, 'library', m.dense![0]!.file))), 'dense', 'd');
    expect(dense.arrays.rows!.length).toBe(64 * m.dense![0]!.count);
  }, 60_000);

  it('re-embeds only an edited file and writes only the shards whose bytes changed', () => {
    const before = shardsOf();
    const old = manifest();
    appendFileSync(join(folder, 'ch15-04-rc.md'), '\nRc<T> counts references to a value on the heap.\n');
    const statsFile = join(work, 'stats', 'run.json');
    const second = publish('--name', 'Test docs', '--shard-kb', '1', '--stats-json', statsFile);
    expect(second.code).toBe(0);
    const lines = second.stdout.split('\n').filter((l) => /^\[\d+\/10\]/.test(l) && !l.includes('password.pdf'));
    expect(lines).toHaveLength(9);
    for (const l of lines) expect(l.includes('(cached)')).toBe(!l.includes('ch15-04-rc.md'));

    const after = shardsOf();
    const written = [...after].filter((f) => !before.has(f));
    const removed = [...before].filter((f) => !after.has(f));
    expect(second.stdout).toContain(
      `Shards: ${written.length} written, ${after.size - written.length} kept, ${removed.length} removed`,
    );
    // The edited document's range shards changed; every range shard of documents before it stayed as it was.
    const m = manifest();
    const edited = m.documents.findIndex((d) => d.name === 'ch15-04-rc.md');
    const firstOfEdited = m.documents.slice(0, edited).reduce((n, d) => n + d.chunks, 0);
    for (const s of [...m.passages, ...m.dense!, ...m.tokens!]) {
      const isNew = written.includes(s.file.replace('shards/', ''));
      if (s.first + s.count <= firstOfEdited) expect(isNew).toBe(false);
    }
    expect(written.some((f) => f.startsWith('passages-'))).toBe(true);
    expect(after.size - written.length).toBeGreaterThan(0);
    // Without --include-files the originals are gone again.
    expect(existsSync(join(out, 'library/files'))).toBe(false);
    expect(m.documents.every((d) => d.file === undefined)).toBe(true);
    expect(old.documents.map((d) => d.id)).toEqual(m.documents.map((d) => d.id));
    // --stats-json: only the edited document was built; the sizes are the shards' on disk.
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as PublishStats;
    expect(stats).toMatchObject({ documents: m.documents.length, passages: m.counts.passages });
    expect(stats.built).toBe(m.documents[edited]!.chunks);
    expect(stats.buildSeconds).toBeGreaterThan(0);
    expect(stats.wallSeconds).toBeGreaterThan(stats.buildSeconds);
    expect(Object.keys(stats.stages)).toEqual(expect.arrayContaining(['parsing', 'embedding', 'tokens']));
    const onDisk = (prefix: string) =>
      [...after]
        .filter((f) => f.startsWith(prefix))
        .reduce((n, f) => n + statSync(join(out, 'library/shards', f)).size, 0);
    expect(stats.bytes.dense).toBe(onDisk('dense-'));
    expect(stats.bytes.passages).toBe(onDisk('passages-'));
    expect(stats.totalBytes).toBe([...after].reduce((n, f) => n + statSync(join(out, 'library/shards', f)).size, 0));
  }, 60_000);

  it('fails with a plain message for user errors', () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const run = spawnSync(process.execPath, [CLI, 'publish', empty, '--out', out, '--app', app], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(`lectern publish: No PDF, DOCX, HTML, Markdown or text files in ${empty}.`);
    const bad = spawnSync(
      process.execPath,
      [CLI, 'publish', folder, '--out', out, '--app', app, '--registry', join(work, 'nope.json')],
      { encoding: 'utf8' },
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^lectern publish: Cannot read the registry .*nope\.json/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('links originals whose names hold #, ?, % or spaces by their percent-encoded path', () => {
    const odd = join(work, 'odd');
    const name = 'notes #1 ?50% off.txt';
    mkdirSync(join(odd, 'my docs'), { recursive: true });
    writeFileSync(join(odd, 'my docs', name), 'Lighthouses guide ships.\n');
    const site = join(work, 'odd-site');
    const run = spawnSync(
      process.execPath,
      [
        ...[CLI, 'publish', odd, '--out', site, '--app', app, '--include-files'],
        ...['--registry', REGISTRY, '--cache', join(work, 'cache')],
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const m = JSON.parse(readFileSync(join(site, 'library/lectern-library.json'), 'utf8')) as PublishedManifest;
    const doc = m.documents[0]!;
    expect(doc.name).toBe(`my docs/${name}`);
    expect(doc.file).toBe('files/my%20docs/notes%20%231%20%3F50%25%20off.txt');
    // The app resolves it against the manifest's URL: the whole name is the path, nothing a fragment or query.
    const url = new URL(doc.file!, 'https://docs.example/library/lectern-library.json');
    expect(url.search + url.hash).toBe('');
    expect(decodeURIComponent(url.pathname)).toBe(`/library/files/my docs/${name}`);
    expect(readFileSync(join(site, 'library/files/my docs', name), 'utf8')).toBe('Lighthouses guide ships.\n');
  }, 60_000);

  it('refuses an --out whose own files the app copy would replace, changing nothing there', () => {
    // `lectern publish docs --out .` in a project: the project's assets/ must survive.
    const project = join(work, 'project');
    mkdirSync(join(project, 'docs'), { recursive: true });
    mkdirSync(join(project, 'assets'));
    writeFileSync(join(project, 'docs', 'a.md'), '# A\n\nSome text.\n');
    writeFileSync(join(project, 'assets', 'logo.svg'), '<svg/>');
    writeFileSync(join(project, 'index.html'), '<html>mine</html>');
    const run = (out: string) =>
      spawnSync(
        process.execPath,
        [
          CLI,
          'publish',
          join(project, 'docs'),
          '--out',
          out,
          '--app',
          app,
          '--registry',
          REGISTRY,
          '--cache',
          join(work, 'cache'),
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
    const parent = run(project);
    expect(parent.status).toBe(1);
    expect(parent.stderr.trim()).toBe(
      `lectern publish: --out ${project} holds the folder published; choose a folder outside it.`,
    );
    const inside = run(join(project, 'docs', 'site'));
    expect(inside.status).toBe(1);
    expect(inside.stderr).toContain('is inside the folder published');
    const other = join(work, 'other');
    mkdirSync(join(other, 'assets'), { recursive: true });
    writeFileSync(join(other, 'assets', 'keep.txt'), 'mine');
    const nonEmpty = run(other);
    expect(nonEmpty.status).toBe(1);
    expect(nonEmpty.stderr).toMatch(/^lectern publish: --out .* is not empty and holds no earlier publish/);
    expect(readdirSync(join(project, 'assets'))).toEqual(['logo.svg']);
    expect(readFileSync(join(project, 'index.html'), 'utf8')).toBe('<html>mine</html>');
    expect(existsSync(join(project, 'docs', 'site'))).toBe(false);
    expect(readdirSync(join(other, 'assets'))).toEqual(['keep.txt']);
  }, 30_000);

  it('--ocr recognises a scanned PDF that is otherwise left out, and its text is cached under the OCR settings', () => {
    const scans = join(work, 'scans');
    mkdirSync(scans);
    writeFileSync(join(scans, 'single_table.pdf'), readFixture('single_table.pdf'));
    writeFileSync(join(scans, 'notes.txt'), 'The table compares document parsers.\n');
    const lib = join(work, 'scans-library');
    const run = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          ...[CLI, 'publish', scans, '--out', lib, '--library-only'],
          ...['--registry', REGISTRY, '--cache', join(work, 'cache'), ...extra],
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
    const plain = run();
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain('1 file(s) could not be read and were left out: single_table.pdf');

    const read = run('--ocr');
    expect(read.stderr).toBe('');
    expect(read.status).toBe(0);
    expect(read.stdout).not.toContain('could not be read');
    // A text file reads the same with or without --ocr: it comes from the cache of the run before.
    expect(read.stdout).toMatch(/notes\.txt: .*\(cached\)/);
    expect(read.stdout).not.toMatch(/single_table\.pdf: .*\(cached\)/);
    const m = JSON.parse(readFileSync(join(lib, 'lectern-library.json'), 'utf8')) as PublishedManifest;
    expect(m.documents.find((d) => d.name === 'single_table.pdf')).toMatchObject({ kind: 'pdf', pageCount: 1 });
    const text = m.passages
      .flatMap(
        (r) => unpackShard(new Uint8Array(readFileSync(join(lib, r.file))), 'passages', r.file).json as unknown[],
      )
      .map((p) => JSON.stringify(p))
      .join(' ');
    // The scanned table's first row, as tesseract reads it at the app's scale.
    expect(text).toMatch(/Chipper/);
    // Run again with the same settings: from the cache. Other languages recognise again.
    expect(run('--ocr').stdout).toMatch(/single_table\.pdf: .*\(cached\)/);
    expect(run('--ocr', '--ocr-lang', 'eng,deu').stdout).not.toMatch(/single_table\.pdf: .*\(cached\)/);
    const wrong = run('--ocr', '--ocr-lang', 'eng,xx');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('--ocr-lang takes tesseract codes from eng, deu, fra, spa, ita, por, nld; not xx.');
  }, 180_000);

  it('--library-only writes the library into --out itself, with no app, and re-runs there from the cache', () => {
    const lib = join(work, 'library-only');
    const run = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          ...[CLI, 'publish', folder, '--out', lib, '--library-only', '--name', 'Only'],
          ...['--registry', REGISTRY, '--cache', join(work, 'cache'), ...extra],
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
    const first = run();
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`to ${lib}\n`);
    expect(readdirSync(lib).sort()).toEqual(['lectern-library.json', 'shards']);
    const m = JSON.parse(readFileSync(join(lib, 'lectern-library.json'), 'utf8')) as PublishedManifest;
    expect(m.name).toBe('Only');
    for (const r of [m.lengths, ...m.keywords.shards, ...m.passages, ...m.dense!, ...m.tokens!])
      expect(existsSync(join(lib, r.file))).toBe(true);
    // A second run finds the earlier library (not an app's library/ folder) and takes every document from the cache.
    const again = run('--include-files');
    expect(again.status).toBe(0);
    const lines = again.stdout.split('\n').filter((l) => /^\[\d+\/10\]/.test(l) && !l.includes('password.pdf'));
    expect(lines).toHaveLength(9);
    for (const l of lines) expect(l).toContain('(cached)');
    expect(readdirSync(lib).sort()).toEqual(['files', 'lectern-library.json', 'shards']);
    const both = run('--build');
    expect(both.status).toBe(1);
    expect(both.stderr.trim()).toBe('lectern publish: --library-only writes no app: leave out --build and --app.');
  }, 60_000);
});
