// Consent before model downloads (sizes for this device, "Not now" keeps keyword search) and a calm first run offline.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, STANDIN_URL, test } from './fixtures';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));
const MODELS = '**/standin/models/**';
const registry = JSON.parse(readFileSync(new URL('../fixtures/standin/registry.json', import.meta.url), 'utf8')) as {
  models: {
    id: string;
    role: string;
    dtype: { webgpu: string; wasm: string; webgpuNoF16?: string };
    sizeMB: number;
    sizes?: Record<string, number>;
  }[];
};

/** Every model file the page asked for. */
function modelRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/standin/models/')) seen.push(r.url());
  });
  return seen;
}

/** The first model of a role in the stand-in registry, with the dtype and size this device loads. */
function expected(role: string, device: 'wasm' | 'webgpu', f16: boolean) {
  const m = registry.models.find((x) => x.role === role)!;
  const dtype = device === 'wasm' ? m.dtype.wasm : f16 ? m.dtype.webgpu : (m.dtype.webgpuNoF16 ?? m.dtype.webgpu);
  const mb = m.sizes?.[dtype] ?? m.sizeMB;
  return { id: m.id, dtype, mb };
}

const shown = (mb: number) => (mb >= 10 ? `${Math.round(mb)} MB` : `${mb.toFixed(1)} MB`);

test.describe('without consent given before', () => {
  test.use({ downloadConsent: false });

  test('the consent dialog lists this device\'s sizes; "Not now" keeps keyword search', async ({
    page,
    expectedDevice,
  }) => {
    const requested = modelRequests(page);
    await page.goto(STANDIN_URL);
    const dialog = page.getByRole('dialog', { name: 'Download the models?' });
    await expect(dialog).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('device')).toHaveText(expectedDevice);
    const f16 = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ features: Set<string> } | null> } })
        .gpu;
      return (await gpu?.requestAdapter())?.features.has('shader-f16') ?? false;
    });
    let total = 0;
    for (const role of ['embedder', 'late-interaction', 'generator']) {
      const want = expected(role, expectedDevice, f16);
      const row = dialog.getByTestId(`download-${role}`);
      await expect(row).toContainText(want.id);
      await expect(row.getByTestId('download-dtype')).toHaveText(want.dtype);
      await expect(row.getByTestId('download-size')).toHaveText(shown(want.mb));
      total += want.mb;
    }
    await expect(dialog.getByTestId('download-total')).toHaveText(shown(total));
    await expect(dialog.getByTestId('download-host')).toHaveText(new URL(page.url()).origin);
    await expect(dialog).toContainText(/Storage used: [\d.]+ GB of [\d.]+ GB available/);

    await dialog.getByRole('button', { name: /Not now/ }).click();
    await expect(dialog).toBeHidden();
    const state = page.getByTestId('keyword-only');
    await expect(state).toContainText('Keyword search only: models unavailable');
    await expect(page.locator('[role="alert"]')).toHaveCount(0);

    // Keyword search works: a file is imported and a question finds it by its words.
    await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md')]);
    const library = page.getByRole('list', { name: 'Documents in your library' });
    await expect(library.getByText('lighthouses.md')).toBeVisible({ timeout: 60_000 });
    await page.getByRole('textbox', { name: 'Ask' }).fill('What did lighthouse keepers trim and wind?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await expect(page.getByRole('list', { name: 'Sources' })).toContainText('clockwork', { timeout: 60_000 });
    expect(requested).toEqual([]);

    // A reload does not download either: it asks again.
    await page.reload();
    await expect(dialog).toBeVisible({ timeout: 60_000 });
    expect(requested).toEqual([]);
  });

  test(
    'first run with the model host unreachable: one notice, keyword-only state, a dropped file is imported',
    { tag: '@device-independent' },
    async ({ page }) => {
      await page.route(MODELS, (route) => route.abort('internetdisconnected'));
      await page.goto(STANDIN_URL);
      const dialog = page.getByRole('dialog', { name: 'Download the models?' });
      await dialog.getByRole('button', { name: /^Download/ }).click();
      const notice = page.getByTestId('notice');
      await expect(notice).toContainText('could not be downloaded', { timeout: 120_000 });
      await expect(notice).toContainText(/self-host/i);
      await expect(page.getByTestId('keyword-only')).toContainText('Keyword search only: models unavailable');
      await expect(page.getByTestId('keyword-only')).not.toHaveAttribute('role', 'alert');

      // Dropped on the drop zone, a file is imported by keywords.
      const bytes = readFileSync(doc('sourdough.txt'), 'utf8');
      const drop = await page.evaluateHandle((text) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], 'sourdough.txt', { type: 'text/plain' }));
        return dt;
      }, bytes);
      await page.getByRole('group', { name: 'Drop files here' }).dispatchEvent('drop', { dataTransfer: drop });
      const library = page.getByRole('list', { name: 'Documents in your library' });
      await expect(library.getByText('sourdough.txt')).toBeVisible({ timeout: 60_000 });
      await expect(library.getByTestId('keywords-only')).toHaveCount(1);

      // A question that would need the answer model does not repeat the failure.
      await page.getByRole('textbox', { name: 'Ask' }).fill('How long does sourdough starter ferment?');
      await page.getByRole('button', { name: 'Ask' }).click();
      await expect(page.getByRole('list', { name: 'Sources' })).toBeVisible({ timeout: 60_000 });
      await expect(page.locator('[role="alert"]')).toHaveCount(1);
      await notice.getByRole('button', { name: 'Dismiss notice' }).click();
      await expect(page.locator('[role="alert"]')).toHaveCount(0);
    },
  );

  test('a download kept in part resumes with a Range request', { tag: '@device-independent' }, async ({ page }) => {
    const ranges: { url: string; range: string | null; status: number }[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/onnx/model.onnx'))
        ranges.push({ url: r.url(), range: r.request().headers()['range'] ?? null, status: r.status() });
    });
    await page.goto(STANDIN_URL);
    const dialog = page.getByRole('dialog', { name: 'Download the models?' });
    await expect(dialog).toBeVisible({ timeout: 60_000 });
    // As an earlier visit that broke off would have left it: the first MB of the embedder's weights, kept in parts.
    const url = new URL('standin/models/lectern-standin/bert-embedder/resolve/main/onnx/model.onnx', page.url()).href;
    const kept = await page.evaluate(async (file) => {
      const head = await fetch(file, { headers: { range: 'bytes=0-999999' } });
      const total = Number(head.headers.get('content-range')!.split('/')[1]);
      const meta = { total, validator: head.headers.get('etag') };
      const cache = await caches.open('lectern-downloads');
      await cache.put(`${file}?lectern-part=0`, new Response(await head.arrayBuffer()));
      await cache.put(`${file}?lectern-part=meta`, new Response(JSON.stringify({ meta, parts: [0] })));
      return total;
    }, url);
    ranges.length = 0;
    await dialog.getByRole('button', { name: /^Download/ }).click();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    // Besides transformers.js's one-byte size probe, the weights were asked for from the first byte not kept.
    const embedder = ranges.filter((r) => r.url === url && r.range !== 'bytes=0-0');
    expect(embedder).toEqual([{ url, range: 'bytes=1000000-', status: 206 }]);
    expect(kept).toBeGreaterThan(1_000_000);
    // Done: the parts are gone, and the whole file is in the model cache.
    const left = await page.evaluate(async () => (await (await caches.open('lectern-downloads')).keys()).length);
    expect(left).toBe(0);
  });
});

test('a model download pauses to keyword search and resumes', { tag: '@device-independent' }, async ({ page }) => {
  // The embedder's weights answer only once released, so the download is under way when Pause is pressed.
  let release: () => void = () => {};
  const released = new Promise<void>((r) => (release = r));
  await page.route('**/bert-embedder/resolve/main/onnx/model.onnx', async (route) => {
    if (route.request().headers()['range'] === 'bytes=0-0') return route.continue();
    await released;
    await route.continue().catch(() => {});
  });
  await page.goto(STANDIN_URL);
  const models = page.getByRole('region', { name: 'Models' });
  await models.getByRole('button', { name: 'Pause' }).click({ timeout: 60_000 });
  await expect(page.getByTestId('paused')).toContainText('Paused');
  await expect(page.getByTestId('keyword-only')).toContainText('its download is paused');
  await expect(page.locator('[role="alert"][data-code]:not([data-testid="notice"])')).toHaveCount(0);
  release();
  await models.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
  await expect(page.getByTestId('keyword-only')).toHaveCount(0);
});
