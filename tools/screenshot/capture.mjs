#!/usr/bin/env node
// `npm run screenshot`: writes the README's screenshot (public/screenshot.png): the first run in Chromium, from the built app with its sample, nothing fetched beyond localhost.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    models: {
      type: 'string',
      default: existsSync(join(ROOT, 'test/fixtures/real-models/models')) ? 'real' : 'standin',
    },
    out: { type: 'string', default: join(ROOT, 'public/screenshot.png') },
  },
});
if (!['real', 'standin'].includes(values.models)) throw new Error('--models is real or standin');
if (!existsSync(join(ROOT, 'dist/sample/lectern-library.json')))
  throw new Error('dist/ has no sample library: run `npm run sample -- --registry …` and `npm run build` first.');

const server = spawn(process.execPath, [join(ROOT, 'test/fixtures/serve.mjs')], {
  env: { ...process.env, PORT: '0', LECTERN_SERVE: values.models },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const origin = await new Promise((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
  server.stdout.on('data', (chunk) => {
    const m = chunk.toString().match(/http:\/\/localhost:\d+/);
    if (m) resolve(m[0]);
  });
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  await context.route('**/*', (route) =>
    new URL(route.request().url()).hostname === 'localhost' ? route.continue() : route.abort('blockedbyclient'),
  );
  const page = await context.newPage();
  await page.goto(`${origin}/?registry=${values.models}/registry.json`);
  // A first visit asks before any model download: agree, as a new user trying the sample would.
  const consent = page.getByRole('dialog', { name: 'Download the models?' });
  await consent.waitFor({ timeout: 60_000 });
  await consent.getByRole('button', { name: /^Download/ }).click();
  await page.getByRole('button', { name: 'Try it on a sample library' }).waitFor({ timeout: 60_000 });
  // The models' lines settle (ready, or why not) before the picture is taken.
  await page
    .getByText(/Ready on (wasm|webgpu)/)
    .nth(1)
    .waitFor({ timeout: 300_000 });
  await page.screenshot({ path: values.out });
  console.log(`Wrote ${values.out} (${values.models} models)`);
} finally {
  await browser.close();
  server.kill();
}
