// First step of `npm test`: finds what the suite needs outside npm, or fails at once with the one command to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const problems = [];
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) problems.push(['Chromium', 'apt-get install -y chromium']);

// The stand-in models are built by Debian's Python with its onnx and numpy packages.
const standin = process.env.LECTERN_PYTHON ?? '/usr/bin/python3';
const onnx = spawnSync(standin, ['-c', 'import onnx, numpy'], { stdio: 'ignore' });
if (onnx.error || onnx.status !== 0) problems.push(['python3-onnx', 'apt-get install -y python3-onnx python3-numpy']);

// The real models are converted by CPython 3.11 (the version the machine's CPU torch wheel is built for).
const real = process.env.LECTERN_PYTHON_311 ?? 'python3';
const v = spawnSync(real, ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'], {
  encoding: 'utf8',
});
if (v.error || v.stdout.trim() !== '3.11') {
  problems.push(['CPython 3.11 with venv (for npm run models:real)', 'set LECTERN_PYTHON_311=/path/to/python3.11']);
}

if (problems.length) {
  for (const [what, fix] of problems) console.error(`npm test needs ${what}: ${fix}`);
  console.error('`bash .ci/run` installs the Debian packages (Chromium, python3-onnx) and then runs npm test.');
  process.exit(1);
}
console.log(`preflight: Chromium ${chromium}, stand-in Python ${standin}, real-model Python ${real} (3.11)`);
