// Browser benchmark (`npm run bench:browser`): MaxSim CPU vs WebGPU and stand-in LM speed, in the system Chromium.
import { defineConfig } from '@playwright/test';
import { checkPrerequisites } from './bundle';

// Before the web server starts, so a missing build gets one clear message.
checkPrerequisites();

// Not 4173/4174/4191: other sessions may serve or run e2e tests there.
const PORT = Number(process.env.BENCH_PORT ?? 4193);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export default defineConfig({
  testDir: '.',
  testMatch: 'bench.spec.ts',
  outputDir: '../../../test-results/bench-browser',
  globalSetup: './bundle.ts',
  timeout: 180_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { baseURL: `http://localhost:${PORT}` },
  webServer: {
    command: 'node test/fixtures/serve-standin.mjs',
    cwd: '../../..',
    env: { PORT: String(PORT) },
    url: `http://localhost:${PORT}/standin/registry.json`,
    // Never measure against another session's server.
    reuseExistingServer: false,
    timeout: 30_000,
  },
  projects: [
    {
      name: 'wasm',
      use: {
        browserName: 'chromium',
        launchOptions: { executablePath: CHROMIUM, args: [...BASE_ARGS, '--disable-gpu'] },
      },
      metadata: { device: 'wasm' },
    },
    {
      name: 'webgpu',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: CHROMIUM,
          args: [...BASE_ARGS, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'],
        },
      },
      metadata: { device: 'webgpu' },
    },
  ],
});
