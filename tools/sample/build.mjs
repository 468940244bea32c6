#!/usr/bin/env node
// `npm run sample`: publishes a few chapters of The Rust Programming Language as the app's sample library (public/sample/, library only), with the models of --registry.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'tools/publish/cli.mjs');

/** The chapters the sample holds: short, self-contained, and what a newcomer would ask about first. */
const SAMPLE_CHAPTERS = [
  'ch01-03-hello-cargo.md',
  'ch03-01-variables-and-mutability.md',
  'ch04-01-what-is-ownership.md',
  'ch04-02-references-and-borrowing.md',
  'ch04-03-slices.md',
  'ch06-01-defining-an-enum.md',
  'ch06-02-match.md',
  'ch08-01-vectors.md',
  'ch09-02-recoverable-errors-with-result.md',
  'ch10-03-lifetime-syntax.md',
  'ch15-01-box.md',
  'ch16-01-threads.md',
];
const LICENSES = ['LICENSE-MIT', 'LICENSE-APACHE'];
const NAME = 'The Rust Programming Language (sample)';

const USAGE = `Usage: npm run sample -- [--registry <file|url>] [--models <dir>] [--source <dir>] [--out <dir>]

Publishes ${SAMPLE_CHAPTERS.length} chapters of The Rust Programming Language as Lectern's sample library, library
only, into public/sample/ (vite build copies it into dist/sample/). Its vectors come from the models of --registry,
so build it with the registry the deployed app uses (default: the app's built-in registry, from the Hugging Face hub).

Options:
  --registry <file|url>  the model registry, as for lectern publish
  --models <dir>         a folder of {org}/{name} model files for a registry file (repeatable)
  --source <dir>         the book's src/ folder (default: ../shared/data/docs/markdown/rust-book/src); its licence
                         files are read from the folder above it
  --out <dir>            where the library goes (default: public/sample)
  --cache <dir>          the publish cache and the staged chapters (default: node_modules/.cache)
  -h, --help             this text`;

function fail(message) {
  console.error(`npm run sample: ${message}`);
  process.exit(1);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      registry: { type: 'string' },
      models: { type: 'string', multiple: true },
      source: { type: 'string' },
      out: { type: 'string' },
      cache: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  fail(`${err.message}\n\n${USAGE}`);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const source = resolve(values.source ?? join(ROOT, '..', 'shared/data/docs/markdown/rust-book/src'));
const out = resolve(values.out ?? join(ROOT, 'public/sample'));
const missing = [...SAMPLE_CHAPTERS.map((c) => join(source, c)), ...LICENSES.map((l) => join(dirname(source), l))];
const absent = missing.filter((f) => !existsSync(f));
if (absent.length) fail(`the Rust book is not where expected (--source ${source}); missing: ${absent.join(', ')}`);

// Only the chosen chapters, staged under stable paths so the publish cache (keyed by bytes and path) finds them.
const cache = resolve(values.cache ?? join(ROOT, 'node_modules/.cache'));
const staged = join(cache, 'lectern-sample/src');
mkdirSync(staged, { recursive: true });
for (const name of readdirSync(staged)) if (!SAMPLE_CHAPTERS.includes(name)) rmSync(join(staged, name));
for (const chapter of SAMPLE_CHAPTERS) {
  const bytes = readFileSync(join(source, chapter));
  const target = join(staged, chapter);
  if (!existsSync(target) || !readFileSync(target).equals(bytes)) writeFileSync(target, bytes);
}

const args = [CLI, 'publish', staged, '--out', out, '--library-only', '--name', NAME];
args.push('--cache', join(cache, 'lectern-publish'));
if (values.registry) args.push('--registry', values.registry);
for (const m of values.models ?? []) args.push('--models', m);
const started = performance.now();
const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);

// The book's licence travels with the sample: both texts, and a note of where the chapters come from.
for (const l of LICENSES) copyFileSync(join(dirname(source), l), join(out, l));
writeFileSync(
  join(out, 'NOTICE.txt'),
  [
    `${NAME}: chapters ${SAMPLE_CHAPTERS.map((c) => c.replace(/\.md$/, '')).join(', ')}`,
    'of "The Rust Programming Language" (https://github.com/rust-lang/book), Copyright (c) 2010 The Rust Project',
    'Developers, used under the MIT licence or the Apache License 2.0, at your option (LICENSE-MIT and LICENSE-APACHE',
    'beside this file). Published for Lectern with `npm run sample`.',
    '',
  ].join('\n'),
);
console.log(`Sample library ready in ${out} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
