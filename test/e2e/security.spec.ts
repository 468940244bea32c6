// Security headers (#11): the CSP reaches the page and every worker, nothing in a worker can reach another host, the page cannot be framed, and the app still works under it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Page, Worker } from '@playwright/test';
import { expect, openApp, serveApp, test } from './fixtures';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));

/** Collects every CSP violation the page and its workers report, from the console and the violation events. */
function watchViolations(page: Page): string[] {
  const seen: string[] = [];
  const onConsole = (text: string) => {
    if (/Content Security Policy|Refused to/i.test(text)) seen.push(text);
  };
  page.on('console', (m) => onConsole(m.text()));
  page.on('worker', (w) => w.on('console', (m) => onConsole(m.text())));
  return seen;
}

async function appWorker(page: Page, name: string): Promise<Worker> {
  await expect.poll(() => page.workers().some((w) => w.url().includes(name))).toBe(true);
  return page.workers().find((w) => w.url().includes(name))!;
}

const CANARY = 'https://example.com/canary';
const tryFetch = (url: string) =>
  fetch(url, { mode: 'no-cors' }).then(
    () => 'fetched',
    (e: unknown) => `blocked: ${String(e)}`,
  );

test(
  'the page and a worker script are served with the CSP and the other headers',
  { tag: '@device-independent' },
  async ({ request }) => {
    const page = await request.get('/');
    expect(page.ok()).toBe(true);
    const html = await page.text();
    const script = html.match(/src="\.\/(assets\/index-[\w-]+\.js)"/)?.[1];
    expect(script).toBeTruthy();
    // The main bundle names the worker scripts it starts.
    const bundle = await (await request.get(`/${script}`)).text();
    const workerScript = bundle.match(/embedder\.worker-[\w-]+\.js/)?.[0];
    expect(workerScript).toBeTruthy();
    const workerResponse = await request.get(`/assets/${workerScript}`);
    expect(workerResponse.ok()).toBe(true);

    // The offline copy's service worker is held to the same policy (a meta tag does not reach it).
    const serviceWorker = await request.get('/sw.js');
    expect(serviceWorker.ok()).toBe(true);

    for (const res of [page, workerResponse, serviceWorker]) {
      const h = res.headers();
      const csp = h['content-security-policy'] ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' blob:;");
      expect(csp).toContain("worker-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).toMatch(/connect-src 'self' https:\/\/huggingface\.co /);
      expect(csp).not.toContain('unsafe-eval;');
      expect(csp).not.toMatch(/connect-src[^;]* https:(;| )/);
      expect(h['x-content-type-options']).toBe('nosniff');
      expect(h['referrer-policy']).toBe('no-referrer');
      expect(h['permissions-policy']).toContain('camera=()');
    }
    // The meta copy (for hosts that send no headers) says the same, less what a meta tag cannot carry.
    const meta = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
    expect(meta).toBe(page.headers()['content-security-policy']!.replace("; frame-ancestors 'none'", ''));
  },
);

test(
  'no worker can fetch another host: the CSP refuses before any request is made',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    // A canary on another localhost port: the test's route guard lets localhost through, so only the CSP can stop a
    // request to it, and the server counts any request that gets there (a fetch without CORS is still sent).
    let hits = 0;
    const canary = createServer((_req, res) => {
      hits++;
      res.end('canary');
    });
    await new Promise<void>((resolve) => canary.listen(0, 'localhost', resolve));
    const LOCAL = `http://localhost:${(canary.address() as AddressInfo).port}/canary`;
    const violations = watchViolations(page);
    await openApp(page);
    const embedder = await appWorker(page, 'embedder.worker');
    const search = await appWorker(page, 'search.worker');
    for (const url of [CANARY, LOCAL]) {
      expect(await embedder.evaluate(tryFetch, url)).toMatch(/^blocked: TypeError/);
      expect(await search.evaluate(tryFetch, url)).toMatch(/^blocked: TypeError/);
    }

    // A worker the page starts itself from the app's own script gets the policy from its response too.
    const before = page.workers().length;
    await page.evaluate((url) => void new Worker(url, { type: 'module' }), embedder.url());
    await expect.poll(() => page.workers().length).toBe(before + 1);
    const own = page.workers().at(-1)!;
    expect(await own.evaluate(tryFetch, LOCAL)).toMatch(/^blocked: TypeError/);

    // And a worker from a blob: URL (how injected code would dodge a worker's policy) is not started at all.
    const blob = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          document.addEventListener('securitypolicyviolation', (e) => {
            if (e.blockedURI.startsWith('blob')) resolve(`refused by ${e.violatedDirective}`);
          });
          const code = 'postMessage("started")';
          const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
          worker.onmessage = (e) => resolve(String(e.data));
        }),
    );
    expect(blob).toBe('refused by worker-src');

    // The page itself is held to the same policy.
    expect(await page.evaluate(tryFetch, LOCAL)).toMatch(/^blocked: TypeError/);
    canary.close();
    // Not one request reached the canary: the policy refused each fetch before it was made, in every worker.
    expect(hits).toBe(0);
    expect(violations.filter((v) => v.includes(LOCAL)).length).toBeGreaterThan(0);
    expect(externalRequests).toEqual([]);
  },
);

test(
  'the page refuses to be framed by another origin',
  { tag: '@device-independent' },
  async ({ page, externalRequests, baseURL }) => {
    // Another localhost port is another origin: a page there tries to frame the app.
    const framer: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><iframe id="app" src="${baseURL}/?registry=standin/registry.json"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, 'localhost', resolve));
    try {
      const { port } = framer.address() as AddressInfo;
      const refused = page.waitForEvent('console', {
        predicate: (m) => /frame-ancestors|Refused to (display|frame)/.test(m.text()),
        timeout: 30_000,
      });
      await page.goto(`http://localhost:${port}/`);
      await refused;
      const frame = page.frames().find((f) => f !== page.mainFrame());
      expect(frame).toBeTruthy();
      // Chromium shows its error page in place of the app: nothing of the app ran in the frame.
      await expect
        .poll(() => frame!.evaluate(() => document.getElementById('app') === null).catch(() => true))
        .toBe(true);
      expect(frame!.url()).not.toContain('registry=standin');
    } finally {
      await new Promise((resolve) => framer.close(resolve));
    }
    expect(externalRequests).toEqual([]);
  },
);

test('the app works under the headers: add a document, ask, read the cited answer', async ({
  page,
  externalRequests,
}) => {
  const violations = watchViolations(page);
  await openApp(page);
  await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByText('lighthouses.md')).toBeVisible();
  await page.getByRole('textbox', { name: 'Ask' }).fill('How does a Fresnel lens focus the lamp light?');
  await page.getByRole('button', { name: 'Ask' }).click();
  const sources = page.getByRole('list', { name: 'Sources' });
  await expect(sources.getByRole('listitem').first()).toContainText('Fresnel');
  const cite = page.getByRole('region', { name: 'Answer' }).getByRole('link', { name: 'Source 1' });
  await expect(cite).toBeVisible({ timeout: 180_000 });
  expect(violations).toEqual([]);
  expect(externalRequests).toEqual([]);
});

test(
  'a model host on another origin is refused until its origin is added to connect-src',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    // A second server stands for a self-hosted model host: it serves the stand-in registry and models, with CORS.
    const host = await serveApp({});
    const app = await serveApp({ LECTERN_CONNECT_SRC: host.origin });
    try {
      const registryUrl = `${host.origin}/standin/registry.json`;
      // A document of the app's own server (which allows only itself and the hub) may not read from that host: the
      // browser refuses before asking.
      await page.goto('/favicon.svg');
      const refused = page.waitForEvent('console', (m) =>
        m.text().startsWith(`Connecting to '${registryUrl}' violates the following Content Security Policy directive`),
      );
      expect(await page.evaluate(tryFetch, registryUrl)).toMatch(/^blocked: TypeError/);
      await refused;

      // Served with the host added (LECTERN_CONNECT_SRC, as an author adds it to _headers), the app loads its models.
      const csp = (await page.request.get(`${app.origin}/`)).headers()['content-security-policy'];
      expect(csp).toContain(`https://*.hf.co ${host.origin};`);
      await page.goto(`${app.origin}/?registry=${encodeURIComponent(registryUrl)}`);
      // The link names another host: the app asks first (see registry.spec.ts).
      await page
        .getByRole('dialog', { name: 'Load models from another host?' })
        .getByRole('button', { name: `Load from ${host.origin}` })
        .click();
      await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
      await expect(
        page.getByRole('region', { name: 'Models' }).getByText('lectern-standin/bert-embedder').first(),
      ).toBeVisible();
    } finally {
      host.stop();
      app.stop();
    }
    expect(externalRequests).toEqual([]);
  },
);
