// `npm run bench:tokens` step: makes the proxy token vectors (token_proxy.py) once per input hash, in the cache.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { cache, findVenv, here, root } from './venv.mjs';

const model = join(root, 'test/fixtures/real-models/models/Xenova/all-MiniLM-L6-v2');
const scifact = resolve(root, '..', 'shared', 'data', 'scifact');
for (const [what, path] of [
  ['the exported embedder (run `npm run models:real`)', join(model, 'onnx', 'model.onnx')],
  ['SciFact (../shared/data/scifact)', join(scifact, 'corpus.jsonl')],
]) {
  if (!existsSync(path)) {
    console.error(`token-proxy: ${what} is missing: ${path}`);
    process.exit(1);
  }
}
const venv = findVenv('token-proxy');
if (!venv) {
  console.error(`token-proxy: no tooling venv in ${cache}: run \`npm run models:real\` first.`);
  process.exit(1);
}

// The output depends on the script, the model file, the corpus and the Python tooling: hash them all.
const h = createHash('sha256');
h.update(readFileSync(join(here, 'token_proxy.py')));
h.update(
  `${realpathSync(join(model, 'onnx', 'model.onnx'))}\0${statSync(join(model, 'onnx', 'model.onnx')).size}\0${venv}`,
);
for (const f of ['corpus.jsonl', 'queries.jsonl', join('qrels', 'test.tsv')]) h.update(readFileSync(join(scifact, f)));
const out = join(cache, `token-proxy-${h.digest('hex').slice(0, 16)}`);
if (!existsSync(join(out, '.complete'))) {
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync(
    join(venv, 'bin', 'python'),
    [join(here, 'token_proxy.py'), '--model', model, '--scifact', scifact, '--out', tmp],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(join(tmp, '.complete'), new Date().toISOString());
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
}
// The bench reads the vectors through a link in this checkout (git-ignored), as the tests read the real models.
const link = join(root, 'test/fixtures/token-proxy');
rmSync(link, { recursive: true, force: true });
symlinkSync(out, link, 'dir');
console.log(`token-proxy: test/fixtures/token-proxy -> ${out}`);
