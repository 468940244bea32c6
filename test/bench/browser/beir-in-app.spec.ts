// The app on a BEIR benchmark, as `npm run eval -- --ablation --in-app` runs it: import the folder, evaluate, export.
import { writeFileSync } from 'node:fs';
import { expect, openApp, test } from '../../e2e/fixtures';
import { IN_APP_ENV } from '../../eval/in-app';

// @beir: needs a dataset, so only test/eval/in-app.ts runs it (bench:browser leaves it out).
test('the app on a BEIR benchmark, every search configuration @beir', async ({ page, externalRequests }) => {
  const dataset = process.env[IN_APP_ENV.dataset];
  const out = process.env[IN_APP_ENV.out];
  if (!dataset || !out)
    throw new Error('run through `npm run eval -- --dataset <folder> --ablation --models … --in-app`');
  const real = process.env[IN_APP_ENV.models] === 'real';
  // SciFact (5,183 documents) took about 50 min to embed on WASM on a 2-core machine; multi-query adds ~15 s a query.
  test.setTimeout(5 * 3_600_000);
  const started = Date.now();
  const log = (text: string) => console.log(`[${Math.round((Date.now() - started) / 1000)} s] ${text}`);
  if (real) await openApp(page, '/?registry=real/registry.json');
  else await openApp(page);
  const panel = page.getByTestId('eval-set');
  await panel.getByText('Import a benchmark').click();
  await panel.getByLabel('Benchmark folder').setInputFiles(dataset);
  const outcome = panel.getByTestId('synthetic-outcome');
  while (!(await outcome.isVisible())) {
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
  await expect(outcome).toHaveText(/^Imported /);
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
  while (!(await table.isVisible())) {
    const line = await progress
      .locator('..')
      .textContent({ timeout: 1000 })
      .catch(() => null);
    log(line?.replace(/\s+/g, ' ').trim() ?? 'evaluating');
    await table.waitFor({ timeout: 60_000 }).catch(() => {});
  }
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Export JSON' }).click(),
  ]);
  await download.saveAs(out);
  writeFileSync(`${out}.done`, '');
  expect(externalRequests).toEqual([]);
});
