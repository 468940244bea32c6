// End-to-end tests in the system Chromium: WASM and WebGPU (SwiftShader), with the stand-in models and with the real ones.
import { defineConfig } from '@playwright/test';
import { chromiumProjects, realModelProjects } from './projects';

const PORT = Number(process.env.E2E_PORT ?? 4174);

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
    command: `node test/fixtures/serve.mjs`,
    cwd: '../..',
    env: { PORT: String(PORT) },
    url: `http://localhost:${PORT}/standin/registry.json`,
    reuseExistingServer: !process.env.CI,
    timeout: 30_000,
  },
  projects: [...chromiumProjects, ...realModelProjects],
});
