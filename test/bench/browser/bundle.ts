// Global setup of the browser benchmark: checks prerequisites, then bundles page.ts (and its workers) once for both browsers.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from '../../e2e/harness/harness';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const PAGE_BASE = '/__bench/';
/** Where the bundle lies, for the test workers (they inherit the environment). */
export const BUNDLE_ENV = 'LECTERN_BENCH_BUNDLE';

const REQUIRED = [
  ['dist/index.html', 'npm run build'],
  ['dist/ort/ort-wasm-simd-threaded.asyncify.wasm', 'npm run build'],
  ['test/fixtures/models/lectern-standin/lm/onnx/model_q4.onnx', 'npm run standin'],
] as const;

/** Throws one clear message when dist/ or the stand-in models are missing. */
export function checkPrerequisites(): void {
  const missing = REQUIRED.filter(([path]) => !existsSync(join(ROOT, path)));
  if (missing.length === 0) return;
  throw new Error(
    `Browser bench needs ${missing.map(([p]) => p).join(', ')}: run \`npm run build && npm run standin\` first.`,
  );
}

export default async function globalSetup(): Promise<() => void> {
  checkPrerequisites();
  const files = await bundleEntry(fileURLToPath(new URL('./page.ts', import.meta.url)), PAGE_BASE);
  const dir = mkdtempSync(join(tmpdir(), 'lectern-bench-'));
  for (const [name, body] of files) {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, body);
  }
  process.env[BUNDLE_ENV] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
