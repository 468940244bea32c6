// Browser benchmark (`npm run bench:browser`): MaxSim CPU vs WebGPU, stand-in and real model speed, in the system Chromium.
import { defineConfig } from '@playwright/test';
import { chromiumProjects } from '../../e2e/projects';
import { checkPrerequisites } from './bundle';

// Before the web server starts, so a missing build gets one clear message.
checkPrerequisites();

// Not 4173/4174/4191: other sessions may serve or run e2e tests there (BENCH_PORT, else E2E_PORT, picks another).
const PORT = Number(process.env.BENCH_PORT ?? process.env.E2E_PORT ?? 4193);

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: '../../../test-results/bench-browser',
  globalSetup: './bundle.ts',
  timeout: 180_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { baseURL: `http://localhost:${PORT}` },
  webServer: {
    command: 'node test/fixtures/serve.mjs',
    cwd: '../../..',
    env: { PORT: String(PORT) },
    url: `http://localhost:${PORT}/standin/registry.json`,
    // Never measure against another session's server.
    reuseExistingServer: false,
    timeout: 30_000,
  },
  projects: chromiumProjects,
});
