// `npm run eval -- --ablation --in-app`: the built app imports the BEIR folder and runs its Evaluate panel (Playwright).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvaluationReport } from '../../src/lib/evaluation';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SPEC = 'test/bench/browser/beir-in-app.spec.ts';

/** What the spec reads from its environment (set here; the spec fails without them). */
export const IN_APP_ENV = {
  dataset: 'LECTERN_BEIR_DATASET',
  models: 'LECTERN_BEIR_MODELS',
  multiQuery: 'LECTERN_BEIR_MULTI_QUERY',
  out: 'LECTERN_BEIR_OUT',
  profile: 'LECTERN_BEIR_PROFILE',
} as const;

export interface InAppArgs {
  dataset: string;
  models?: string;
  device?: string;
  noMultiQuery?: boolean;
  /** A browser profile folder kept between runs (the imported library and the cached models stay in it). */
  profile?: string;
}

/**
 * Runs the app on the dataset in the system Chromium (the browser bench's Playwright config, a port of its own) and
 * returns the report the Evaluate panel exported. The spec's output goes to stderr, so stdout keeps only the lines.
 */
export async function runInApp(args: InAppArgs, note: (text: string) => void): Promise<EvaluationReport> {
  const dir = mkdtempSync(join(tmpdir(), 'lectern-in-app-'));
  const out = join(dir, 'report.json');
  try {
    note(`running the app on ${args.dataset} (${args.models}, ${args.device ?? 'wasm'}): dist/ must be built`);
    const code = await new Promise<number | null>((done, fail) => {
      const child = spawn(
        'npx',
        [
          'playwright',
          'test',
          '-c',
          'test/bench/browser/playwright.config.ts',
          `--project=${args.device ?? 'wasm'}`,
          SPEC,
        ],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
          env: {
            ...process.env,
            BENCH_PORT: process.env.BENCH_PORT ?? '4196',
            [IN_APP_ENV.dataset]: resolve(args.dataset),
            [IN_APP_ENV.models]: args.models ?? 'standin',
            [IN_APP_ENV.multiQuery]: args.noMultiQuery ? '0' : '1',
            [IN_APP_ENV.out]: out,
            ...(args.profile && { [IN_APP_ENV.profile]: resolve(args.profile) }),
          },
        },
      );
      child.stdout.pipe(process.stderr);
      child.on('error', fail);
      child.on('close', done);
    });
    if (code !== 0) throw new Error(`the app run failed (playwright exited with ${code}); its output is above`);
    return JSON.parse(readFileSync(out, 'utf8')) as EvaluationReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
