// End-to-end tests in the system Chromium: one project on WASM, one on WebGPU (SwiftShader).
import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT ?? 4174);
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export default defineConfig({
  testDir: '.',
  outputDir: '../../test-results',
  timeout: 240_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: `http://localhost:${PORT}`,
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `node test/fixtures/serve-standin.mjs`,
    cwd: '../..',
    env: { PORT: String(PORT) },
    url: `http://localhost:${PORT}/standin/registry.json`,
    reuseExistingServer: !process.env.CI,
    timeout: 30_000,
  },
  projects: [
    {
      name: 'wasm',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [...BASE_ARGS, '--disable-gpu'],
        },
      },
      metadata: { device: 'wasm' },
    },
    {
      name: 'webgpu',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [...BASE_ARGS, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'],
        },
      },
      // Tests tagged @device-independent (parsing, library edits) run once, on wasm.
      grepInvert: /@device-independent/,
      metadata: { device: 'webgpu' },
    },
  ],
});
