// The two Chromium projects the e2e tests and the browser bench run in: WASM (no GPU) and WebGPU (SwiftShader).
import type { Project } from '@playwright/test';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Tests tagged @webgpu-only need an adapter, so the wasm project leaves them out; tests tagged @device-independent
 * (parsing, library edits) run once, on wasm, rather than again on slow SwiftShader.
 */
export const chromiumProjects: Project[] = [
  {
    name: 'wasm',
    grepInvert: /@webgpu-only/,
    use: {
      browserName: 'chromium',
      launchOptions: { executablePath: CHROMIUM, args: [...BASE_ARGS, '--disable-gpu'] },
    },
    metadata: { device: 'wasm' },
  },
  {
    name: 'webgpu',
    grepInvert: /@device-independent/,
    use: {
      browserName: 'chromium',
      launchOptions: {
        executablePath: CHROMIUM,
        args: [...BASE_ARGS, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'],
      },
    },
    metadata: { device: 'webgpu' },
  },
];
