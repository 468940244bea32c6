// The app on a BEIR benchmark, as `npm run eval -- --ablation --in-app` runs it: import the folder, evaluate, export.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from '@playwright/test';
import { expect, guardLocalhost, openApp, test } from '../../e2e/fixtures';
import { IN_APP_ENV } from '../../eval/in-app';

// @beir: needs a dataset, so only test/eval/in-app.ts runs it (bench:browser leaves it out).
test('the app on a BEIR benchmark, every search configuration @beir', async () => {
  const testInfo = test.info();
  const dataset = process.env[IN_APP_ENV.dataset];
  const out = process.env[IN_APP_ENV.out];
  if (!dataset || !out)
    throw new Error('run through `npm run eval -- --dataset <folder> --ablation --models … --in-app`');
  // SciFact (5,183 documents) took about an hour to embed on WASM on a 2-core machine; multi-query adds ~15 s a query.
  test.setTimeout(5 * 3_600_000);
  // A browser profile of its own: kept in --profile's folder, so a later run finds the library (and the models)
  // there and imports only what is missing; else a temporary one.
  const kept = process.env[IN_APP_ENV.profile];
  const profile = kept || mkdtempSync(join(tmpdir(), 'lectern-in-app-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    ...testInfo.project.use.launchOptions,
    baseURL: `http://localhost:${process.env.BENCH_PORT}`,
    acceptDownloads: true,
  });
  try {
    await run(context, dataset, out, process.env[IN_APP_ENV.models] === 'real');
  } finally {
    await context.close();
    if (!kept) rmSync(profile, { recursive: true, force: true });
  }
});

async function run(context: BrowserContext, dataset: string, out: string, real: boolean): Promise<void> {
  const externalRequests = await guardLocalhost(context);
  const page = context.pages()[0] ?? (await context.newPage());
  const started = Date.now();
  const log = (text: string) => console.log(`[${Math.round((Date.now() - started) / 1000)} s] ${text}`);
  // A kept profile holds the app's offline copy of an earlier build: drop it (and the cached files) so this run uses
  // dist/ as built now. The library (IndexedDB) stays.
  await page.goto('/standin/registry.json');
  await page.evaluate(async () => {
    for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
    for (const key of await caches.keys()) await caches.delete(key);
  });
  if (real) await openApp(page, '/?registry=real/registry.json');
  else await openApp(page);
  const panel = page.getByTestId('eval-set');
  await panel.getByText('Import a benchmark').click({ timeout: 60_000 });
  await panel.getByTestId('benchmark-folder').setInputFiles(dataset, { timeout: 60_000 });
  const status = panel.getByTestId('benchmark-status');
  const outcome = status.getByText(/^Imported /);
  const failed = panel.getByRole('alert');
  while (!(await outcome.isVisible())) {
    if (await failed.isVisible()) throw new Error(`the import failed: ${await failed.textContent()}`);
    const [count, rate] = await Promise.all(
      ['library-count', 'import-rate'].map((id) =>
        page
          .getByTestId(id)
          .textContent({ timeout: 1000 })
          .catch(() => ''),
      ),
    );
    log(`${count ?? ''} ${rate ?? ''}`.replace(/\s+/g, ' ').trim() || 'importing');
    await outcome.waitFor({ timeout: 60_000 }).catch(() => {});
  }
  log((await outcome.textContent()) ?? '');

  await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Evaluate my library' });
  const mq = dialog.getByRole('checkbox', { name: /Also with multi-query/ });
  if (process.env[IN_APP_ENV.multiQuery] === '1') await mq.check();
  else await mq.uncheck();
  await dialog.getByRole('checkbox', { name: 'Also answer each question' }).uncheck();
  await dialog.getByRole('button', { name: 'Run the evaluation' }).click();
  const table = dialog.getByRole('table', { name: /Context relevance by search configuration/ });
  const progress = dialog.getByRole('progressbar', { name: 'Evaluation progress' });
  // The table of an earlier run may show at once: wait for this run's progress to end.
  await expect(progress).toBeVisible();
  while (await progress.isVisible()) {
    const line = await progress
      .locator('..')
      .textContent({ timeout: 1000 })
      .catch(() => null);
    log(line?.replace(/\s+/g, ' ').trim() ?? 'evaluating');
    await progress.waitFor({ state: 'hidden', timeout: 60_000 }).catch(() => {});
  }
  await expect(dialog.getByRole('alert')).toHaveCount(0);
  await expect(table).toBeVisible();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Export JSON' }).click(),
  ]);
  await download.saveAs(out);
  expect(externalRequests).toEqual([]);
}
