// `npm run eval:reference`: runs eval_reference.py with the tooling venv's Python that `npm run models:real` made.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cache, findVenv, here } from './venv.mjs';

const venv = findVenv('eval:reference');
if (!venv) {
  console.error(`eval:reference: no tooling venv in ${cache}: run \`npm run models:real\` first.`);
  process.exit(1);
}
const args = [join(here, 'eval_reference.py'), '--cache', cache, ...process.argv.slice(2)];
const r = spawnSync(join(venv, 'bin', 'python'), args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
