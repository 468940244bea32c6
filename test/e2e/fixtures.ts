// Shared e2e fixtures: every test fails if any request leaves localhost, and knows its project's device.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';

export const STANDIN_URL = '/?registry=standin/registry.json';

interface Fixtures {
  /** Requests the page tried to send anywhere but localhost (they are blocked). */
  externalRequests: string[];
  expectedDevice: 'wasm' | 'webgpu';
  /** Whether the model downloads are agreed to in advance (default); `test.use({ downloadConsent: false })` opts out. */
  downloadConsent: boolean;
  /** Applies `downloadConsent` to the test's context (automatic). */
  grantDownloads: void;
}

/** Where the app keeps the user's download consent (src/lib/config/downloads.ts). */
export const CONSENT_STORAGE_KEY = 'lectern-download-consent';

/**
 * Agrees to model downloads in every page of the context, as a user who chose not to be asked would have, unless a
 * record is already there (a test's own, or one the app wrote): the specs that predate the consent dialog load models
 * without clicking.
 */
export async function grantDownloads(context: BrowserContext): Promise<void> {
  await context.addInitScript((key) => {
    try {
      if (localStorage.getItem(key) === null)
        localStorage.setItem(key, JSON.stringify({ version: 1, ask: false, agreed: [] }));
    } catch {
      // An opaque origin (about:blank) has no storage.
    }
  }, CONSENT_STORAGE_KEY);
}

/**
 * Blocks every request of the context that leaves localhost and returns the list it records them in. Routes added
 * later are consulted first, so a test can still serve its own paths. Also agrees to model downloads (see
 * grantDownloads) unless `consent` is false.
 */
export async function guardLocalhost(context: BrowserContext, { consent = true } = {}): Promise<string[]> {
  if (consent) await grantDownloads(context);
  const external: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (['localhost', '127.0.0.1'].includes(url.hostname) || url.protocol === 'blob:' || url.protocol === 'data:') {
      return route.continue();
    }
    external.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return external;
}

export const test = base.extend<Fixtures>({
  downloadConsent: [true, { option: true }],
  grantDownloads: [
    async ({ context, downloadConsent }, use) => {
      if (downloadConsent) await grantDownloads(context);
      await use();
    },
    { auto: true },
  ],
  externalRequests: async ({ context, downloadConsent }, use) => {
    await use(await guardLocalhost(context, { consent: downloadConsent }));
  },
  expectedDevice: async ({}, use, testInfo) => {
    await use(testInfo.project.metadata.device as 'wasm' | 'webgpu');
  },
});

export { expect };

/** Opens the app on the stand-in registry and waits until the embedder and the reranker are ready. */
export async function openApp(page: Page, url = STANDIN_URL): Promise<void> {
  await page.goto(url);
  await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
}

/** Starts test/fixtures/serve.mjs on a free port with `env`; resolves with its origin and a stop function. */
export async function serveApp(env: Record<string, string>): Promise<{ origin: string; stop: () => void }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/serve.mjs', import.meta.url))], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const origin = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      const m = chunk.toString().match(/http:\/\/localhost:\d+/);
      if (m) resolve(m[0]);
    });
  });
  return { origin, stop: () => child.kill() };
}
