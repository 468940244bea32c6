// Opens a bench page on the model server's origin with the bundled bench entry (page.ts) injected; shared by the specs.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { guardLocalhost } from '../../e2e/fixtures';
import { BUNDLE_ENV, PAGE_BASE, ROOT } from './bundle';

// The shared documents (CI checks out ../shared beside the clone; LECTERN_SHARED overrides).
export const SHARED = process.env.LECTERN_SHARED ?? resolve(ROOT, '../shared');
/** Where the page fetches the shared documents (data/docs) from. */
export const DOCS_BASE = `${PAGE_BASE}docs/`;

/**
 * Opens a page on the model server's origin (same-origin models and ort/) and injects the bundled bench page;
 * returns the list of requests that tried to leave localhost (all blocked).
 */
export async function openBench(page: Page): Promise<string[]> {
  const dir = process.env[BUNDLE_ENV];
  if (!dir) throw new Error(`${BUNDLE_ENV} is unset: run through test/bench/browser/playwright.config.ts`);
  // Nothing may leave localhost; the bundle is served from disk under PAGE_BASE (this route is consulted first).
  const external = await guardLocalhost(page.context());
  await page.context().route(`**${PAGE_BASE}**`, (route) => {
    const url = new URL(route.request().url());
    if (!url.pathname.startsWith(PAGE_BASE)) return route.fallback();
    const docs = url.pathname.startsWith(DOCS_BASE);
    const name = decodeURIComponent(url.pathname.slice((docs ? DOCS_BASE : PAGE_BASE).length));
    let body: Buffer;
    try {
      body = readFileSync(join(docs ? join(SHARED, 'data/docs') : dir, name));
    } catch {
      return route.fallback();
    }
    const contentType = name.endsWith('.js') ? 'text/javascript' : name.endsWith('.wasm') ? 'application/wasm' : '';
    return route.fulfill({ status: 200, contentType: contentType || undefined, body });
  });
  await page.goto('/standin/registry.json');
  await page.addScriptTag({ url: `${PAGE_BASE}page.js`, type: 'module' });
  await page.waitForFunction(() => 'lectern' in globalThis && 'lecternBench' in globalThis);
  return external;
}
