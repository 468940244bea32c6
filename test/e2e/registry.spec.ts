// A `?registry=` link on another host: nothing loads from it until the user allows it, and it never sees documents or questions.
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, normalize } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, serveApp, test } from './fixtures';

const ROOT = fileURLToPath(new URL('../fixtures/', import.meta.url));
const MODELS = join(ROOT, 'models');
/** In the document and in the question (a question-only nonsense word would make the app refuse, not answer). */
const CANARY = 'zebracanary4471';

/** A second model host on its own localhost port, laid out like serve.mjs's, recording every request it gets. */
async function modelHost(filesFrom?: string): Promise<{ origin: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('latin1')));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body}`);
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      const hub = /^\/standin\/models\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(path);
      const file =
        path === '/standin/registry.json'
          ? join(ROOT, 'standin/registry.json')
          : hub
            ? normalize(join(MODELS, hub[1]!, hub[2]!))
            : null;
      const headers = { 'Access-Control-Allow-Origin': '*' };
      if (filesFrom && path === '/standin/registry.json') {
        // This registry sends its model downloads to a third host.
        const registry = JSON.parse(readFileSync(file!, 'utf8')) as { modelBaseUrl: string };
        registry.modelBaseUrl = `${filesFrom}/standin/models/`;
        res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(registry));
        return;
      }
      if (!file || !file.startsWith(ROOT) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404, headers).end();
        return;
      }
      res.writeHead(200, { ...headers, 'Content-Length': statSync(file).size });
      createReadStream(file).pipe(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as { port: number };
  return { origin: `http://localhost:${port}`, seen, server };
}

/**
 * The app, served with that host in its CSP's connect-src (as an author adds a model host to _headers), opened with a
 * link to the host's registry.
 */
async function appLinkingTo(origin: string, ...others: string[]): Promise<{ url: string; stop: () => void }> {
  const app = await serveApp({ LECTERN_CONNECT_SRC: [origin, ...others].join(' ') });
  return { url: `${app.origin}/?registry=${encodeURIComponent(`${origin}/standin/registry.json`)}`, stop: app.stop };
}

const storedKeys = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('lectern');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('vectors').objectStore('vectors').getAll();
          req.onsuccess = () => {
            open.result.close();
            resolve([...new Set(req.result.map((v: { embedderId: string }) => v.embedderId))]);
          };
          req.onerror = () => reject(req.error);
        };
      }),
  );

test(
  'asks before using a registry on another host, which then never sees a document or a question',
  { tag: '@device-independent' },
  async ({ page, externalRequests }, testInfo) => {
    const host = await modelHost();
    const app = await appLinkingTo(host.origin);
    const pageRequests: string[] = [];
    page.on('request', (r) => pageRequests.push(`${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`));
    try {
      await page.goto(app.url);
      const dialog = page.getByRole('dialog', { name: 'Load models from another host?' });
      await expect(dialog.getByTestId('consent-origin')).toHaveText(host.origin);
      // Nothing, not even the registry, was fetched from that host before the answer.
      await page.waitForTimeout(500);
      expect(host.seen).toEqual([]);
      await dialog.getByRole('button', { name: `Load from ${host.origin}` }).click();
      await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
      expect(host.seen.some((r) => r.startsWith('GET /standin/registry.json'))).toBe(true);
      expect(host.seen.some((r) => r.includes('/resolve/'))).toBe(true);

      // Settings says the link overrides the registry, and remembers the host the user allowed.
      await page.getByRole('button', { name: 'Settings' }).click();
      const settings = page.getByRole('dialog', { name: 'Settings' });
      await expect(settings.getByTestId('registry-link')).toContainText(`${host.origin}/standin/registry.json`);
      await expect(settings.getByTestId('trusted-origins')).toContainText(host.origin);
      await settings.getByRole('button', { name: 'Cancel' }).click();

      const file = testInfo.outputPath('keeper.md');
      writeFileSync(
        file,
        `# The keeper\n\nThe ${CANARY} keeper polishes the Fresnel lens every morning, before the lamp is lit at dusk.\n`,
      );
      await page.getByLabel('Add documents').setInputFiles(file);
      await expect(page.getByRole('list', { name: 'Documents in your library' }).getByText('keeper.md')).toBeVisible();
      await page.getByRole('textbox', { name: 'Ask' }).fill(`When does the ${CANARY} keeper polish the Fresnel lens?`);
      await page.getByRole('button', { name: 'Ask' }).click();
      await expect(page.getByRole('list', { name: 'Sources' }).getByRole('listitem').first()).toContainText(
        'keeper.md',
        {
          timeout: 180_000,
        },
      );
      await expect(page.getByRole('region', { name: 'Answer' }).getByRole('link', { name: 'Source 1' })).toBeVisible({
        timeout: 180_000,
      });
      // The answer model came from that host too.
      expect(host.seen.filter((r) => r.includes('/resolve/')).length).toBeGreaterThan(0);

      // Stored vectors say where their model came from and which registry described it.
      const keys = await storedKeys(page);
      expect(keys).toEqual([
        `lectern-standin/bert-embedder@main from ${host.origin} by ${host.origin}/standin/registry.json`,
      ]);

      // The host allowed is remembered: a reload does not ask again.
      await page.reload();
      await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
      await expect(dialog).toBeHidden();

      expect(host.seen.filter((r) => r.includes(CANARY))).toEqual([]);
      expect(pageRequests.filter((r) => r.includes(CANARY))).toEqual([]);
      expect(externalRequests).toEqual([]);
    } finally {
      host.server.close();
      app.stop();
    }
  },
);

test('saying no fetches nothing from that host', { tag: '@device-independent' }, async ({ page, externalRequests }) => {
  const host = await modelHost();
  const app = await appLinkingTo(host.origin);
  try {
    await page.goto(app.url);
    const dialog = page.getByRole('dialog', { name: 'Load models from another host?' });
    await dialog.getByRole('button', { name: 'Use the models in Settings' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('status')).toContainText(`Not loading anything from ${host.origin}`);
    // The models in Settings (the built-in registry's hub, unreachable here) are tried instead.
    await expect(page.getByTestId('keyword-only')).toBeVisible({ timeout: 120_000 });
    expect(host.seen).toEqual([]);
    for (const url of externalRequests) expect(url).toMatch(/^https:\/\/huggingface\.co\//);
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByRole('dialog', { name: 'Settings' }).getByTestId('registry-link')).toHaveCount(0);
  } finally {
    host.server.close();
    app.stop();
  }
});

test(
  'a registry whose model files live on a third host asks again for that host, and a no there fetches nothing from it',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    const files = await modelHost();
    const registry = await modelHost(files.origin);
    const app = await appLinkingTo(registry.origin, files.origin);
    try {
      await page.goto(app.url);
      const dialog = page.getByRole('dialog', { name: 'Load models from another host?' });
      await expect(dialog.getByTestId('consent-origin')).toHaveText(registry.origin);
      await dialog.getByRole('button', { name: `Load from ${registry.origin}` }).click();
      // The registry was read, and names the third host: asked about before any file comes from it.
      await expect(dialog.getByTestId('consent-origin')).toHaveText(files.origin);
      await expect(dialog).toContainText('model files');
      expect(registry.seen.filter((r) => r.startsWith('GET /standin/registry.json'))).toHaveLength(1);
      expect(files.seen).toEqual([]);
      await dialog.getByRole('button', { name: 'Use the models in Settings' }).click();
      await expect(dialog).toBeHidden();
      await expect(page.getByTestId('keyword-only')).toBeVisible({ timeout: 120_000 });
      expect(files.seen).toEqual([]);
      // Only the registry was ever fetched from its host: no model file.
      expect(registry.seen.every((r) => r.startsWith('GET /standin/registry.json'))).toBe(true);
      for (const url of externalRequests) expect(url).toMatch(/^https:\/\/huggingface\.co\//);
    } finally {
      files.server.close();
      registry.server.close();
      app.stop();
    }
  },
);
