// Swaps the app's generator worker for the scripted one (bundled at test time), without changing the app.
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./scripted-generator.ts', import.meta.url));
let code: Promise<string> | null = null;

function bundle(): Promise<string> {
  code ??= (async () => {
    const result = await build({
      configFile: false,
      root: ROOT,
      logLevel: 'warn',
      publicDir: false,
      build: {
        write: false,
        target: 'es2022',
        minify: false,
        lib: { entry: ENTRY, formats: ['es'], fileName: 'scripted' },
      },
    });
    const out = (Array.isArray(result) ? result[0] : result) as { output: { type: string; code?: string }[] };
    return out.output.find((o) => o.type === 'chunk')!.code!;
  })();
  return code;
}

/** Deep mode's script: [text in the passage, P(yes)] (the first match decides, else 0.5), and the pause per word. */
export interface ScriptedJudge {
  verdicts?: [string, number][];
  wordMs?: number;
}

/**
 * Serves the scripted generator in place of the built generator worker; returns counters of generate and judge
 * calls, and `scriptJudge` to set deep mode's verdicts (read at each judgment, so a test can change them).
 */
export async function useScriptedGenerator(
  page: Page,
): Promise<{ calls: () => number; judged: () => number; scriptJudge: (script: ScriptedJudge) => void }> {
  const body = await bundle();
  let calls = 0;
  let judged = 0;
  let script: ScriptedJudge = {};
  page.on('console', (m) => {
    if (m.text() === 'scripted-generator: generate') calls++;
    if (m.text() === 'scripted-generator: judge') judged++;
  });
  await page
    .context()
    .route('**/__scripted/judge.json', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(script) }),
    );
  await page
    .context()
    .route('**/assets/generator.worker-*.js', (route) =>
      route.fulfill({ status: 200, contentType: 'text/javascript', body }),
    );
  return { calls: () => calls, judged: () => judged, scriptJudge: (s) => void (script = s) };
}
