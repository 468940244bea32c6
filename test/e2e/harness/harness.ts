// Bundles app modules for e2e tests at test time (Vite, in memory) and serves them to the page under /__harness/.
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from '@playwright/test';
import { build } from 'vite';
import type { Harness } from './page-entry';

export type { Harness };

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./page-entry.ts', import.meta.url));
export const HARNESS_BASE = '/__harness/';

export type Files = Map<string, string | Uint8Array>;
let bundled: Promise<Files> | null = null;

/**
 * Builds `entry` (and, through `new Worker(new URL(…))`, the workers it starts) in memory, served under `base`,
 * without touching dist/. Returns every output file by name.
 */
export async function bundleEntry(entry: string, base: string): Promise<Files> {
  const result = await build({
    configFile: false,
    root: ROOT,
    base,
    logLevel: 'warn',
    publicDir: false,
    worker: { format: 'es' },
    build: {
      write: false,
      target: 'es2022',
      minify: false,
      modulePreload: false,
      copyPublicDir: false,
      emptyOutDir: false,
      chunkSizeWarningLimit: 100_000,
      rollupOptions: { input: entry, output: { entryFileNames: 'page.js' }, preserveEntrySignatures: 'strict' },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as {
    output: { fileName: string; type: 'chunk' | 'asset'; code?: string; source?: string | Uint8Array }[];
  }[];
  const files: Files = new Map();
  for (const out of outputs) {
    for (const f of out.output) files.set(f.fileName, f.type === 'chunk' ? f.code! : f.source!);
  }
  return files;
}

/**
 * Serves `files` under `base` in `context`. Registered after the privacy guard's catch-all, so it is consulted first;
 * unknown paths fall through to the guard and the server.
 */
export async function routeBundle(context: BrowserContext, base: string, files: Files): Promise<void> {
  await context.route(`**${base}**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(base.length);
    const body = files.get(name);
    if (body === undefined) return route.fallback();
    return route.fulfill({
      status: 200,
      contentType: name.endsWith('.js') ? 'text/javascript' : name.endsWith('.wasm') ? 'application/wasm' : undefined,
      body: typeof body === 'string' ? body : Buffer.from(body),
    });
  });
}

function bundle(): Promise<Files> {
  bundled ??= bundleEntry(ENTRY, HARNESS_BASE);
  return bundled;
}

/**
 * Opens a page of the served app origin (so WebGPU, the Cache API and the stand-in models are same-origin) and
 * injects the harness; `window.lectern` is then ready for `page.evaluate`.
 */
export async function openHarness(page: Page): Promise<void> {
  const files = await bundle();
  await routeBundle(page.context(), HARNESS_BASE, files);
  await page.goto('/standin/registry.json');
  await page.addScriptTag({ url: `${HARNESS_BASE}page.js`, type: 'module' });
  await page.waitForFunction(() => 'lectern' in globalThis);
}
