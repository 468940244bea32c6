// The Chromium projects the e2e tests and the browser bench run in: WASM (no GPU) and WebGPU (SwiftShader), each with stand-in or real models.
import type { Project } from '@playwright/test';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const DEVICE_ARGS = {
  wasm: ['--disable-gpu'],
  webgpu: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'],
} as const;

/** Specs under real/ run with the real models (npm run models:real); every other spec with the stand-ins. */
const REAL_SPECS = /[\\/]real[\\/][^\\/]+\.spec\.ts$/;

function project(device: 'wasm' | 'webgpu', models: 'standin' | 'real'): Project {
  return {
    name: models === 'real' ? `real-${device}` : device,
    ...(models === 'real' ? { testMatch: REAL_SPECS } : { testIgnore: REAL_SPECS }),
    grepInvert: device === 'wasm' ? /@webgpu-only/ : /@device-independent|@wasm-only/,
    use: {
      browserName: 'chromium',
      launchOptions: { executablePath: CHROMIUM, args: [...BASE_ARGS, ...DEVICE_ARGS[device]] },
    },
    metadata: { device, models },
  };
}

/**
 * Tests tagged @webgpu-only need an adapter, so the wasm projects leave them out; tests tagged @device-independent
 * (parsing, library edits) run once, on wasm, rather than again on slow SwiftShader; @wasm-only ones check what only
 * the WASM path uses (the q8 files the registry picks there).
 */
export const chromiumProjects: Project[] = [project('wasm', 'standin'), project('webgpu', 'standin')];

/** The same two devices with the real models. */
export const realModelProjects: Project[] = [project('wasm', 'real'), project('webgpu', 'real')];
