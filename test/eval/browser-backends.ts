// The evaluator's model backends in headless Chromium: serves the app and models, runs the app's workers via page-entry.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type LaunchOptions } from '@playwright/test';
import { bundleEntry, routeBundle } from '../e2e/harness/harness';
import { guardLocalhost } from '../e2e/fixtures';
import { chromiumProjects } from '../e2e/projects';
import type { Device, Dtype } from '../../src/lib/config/registry-types';
import type { ModelSet } from './eval';
import type { LecternEval, OpenResult, Tokens } from './page-entry';
import { chunks, type Backends } from './searchers';

declare const lecternEval: LecternEval;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./page-entry.ts', import.meta.url));
const BASE = '/__eval/';

export interface BrowserOptions {
  models: ModelSet;
  device: Device;
  /** Load the reranker too (rerank mode). */
  lateInteraction: boolean;
  /** Load the generator too (multi-query rows of --ablation). */
  generator?: boolean;
  /** Embedder dtype override (diagnosis); the registry's dtype for the device otherwise. */
  dtype?: Dtype;
  /** Texts per page.evaluate round trip. */
  batch: number;
  /** Progress lines go here (stderr by default). */
  log?: (line: string) => void;
}

/** Throughput of what went through the backends so far. */
export interface BackendStats {
  /** Documents embedded by the dense model per second of embedding calls (the corpus, in dense/hybrid/rerank). */
  docsPerSec: number | null;
  /** Documents encoded by the late-interaction model per second of its calls (rerank candidates). */
  lateDocsPerSec: number | null;
}

export interface BrowserBackends {
  backends: Backends;
  loaded: OpenResult;
  stats(): BackendStats;
  close(): Promise<void>;
}

/** Raised when a prerequisite (build, models, WebGPU adapter) is missing: a usage problem, not a crash. */
export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

function prerequisites(models: ModelSet): [string, string][] {
  const need: [string, string][] = [
    ['dist/index.html', 'npm run build'],
    ['dist/ort/ort-wasm-simd-threaded.asyncify.wasm', 'npm run build'],
    ['test/fixtures/models/lectern-standin', 'npm run standin'],
  ];
  if (models === 'real') need.push(['test/fixtures/real-models/models/Xenova', 'npm run models:real']);
  return need.filter(([p]) => !existsSync(join(ROOT, p)));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, 'localhost', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts test/fixtures/serve.mjs on a free port and resolves once it listens. */
async function startServer(models: ModelSet): Promise<{ child: ChildProcess; origin: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'test/fixtures/serve.mjs')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), LECTERN_SERVE: models },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve.mjs did not start within 30 s: ${errors.trim()}`)), 30_000);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`http://localhost:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new PrerequisiteError(`serve.mjs exited (${code}): ${errors.trim()}`));
    });
  });
  return { child, origin: `http://localhost:${port}` };
}

function launchOptions(device: Device): LaunchOptions {
  const project = chromiumProjects.find((p) => p.name === device);
  const options = (project?.use as { launchOptions?: LaunchOptions } | undefined)?.launchOptions;
  if (!options) throw new Error(`no Chromium project "${device}" in test/e2e/projects.ts`);
  return options;
}

/**
 * Opens Chromium on a localhost page of the served app, injects page-entry.ts and loads the chosen model set's
 * embedder (and reranker) there. Every request leaving localhost is blocked and makes close() throw.
 */
export async function openBrowserBackends(o: BrowserOptions): Promise<BrowserBackends> {
  const log = o.log ?? ((line: string) => process.stderr.write(`eval: ${line}\n`));
  const batch = o.batch;
  const missing = prerequisites(o.models);
  if (missing.length > 0) {
    throw new PrerequisiteError(
      `missing ${missing.map(([p]) => p).join(', ')}: run ${[...new Set(missing.map(([, c]) => `\`${c}\``))].join(' and ')} first`,
    );
  }
  const started = performance.now();
  const files = await bundleEntry(ENTRY, BASE);
  const server = await startServer(o.models);
  let browser: Browser | null = null;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => {});
    server.child.kill();
  };
  try {
    browser = await chromium.launch(launchOptions(o.device));
    const context = await browser.newContext({ baseURL: server.origin });
    const external = await guardLocalhost(context);
    await routeBundle(context, BASE, files);
    const page = await context.newPage();
    page.on('pageerror', (err) => log(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') log(`console: ${msg.text()}`);
    });
    const registryUrl = `/${o.models}/registry.json`;
    await page.goto(registryUrl);
    await page.addScriptTag({ url: `${BASE}page.js`, type: 'module' });
    await page.waitForFunction(() => 'lecternEval' in globalThis);
    const loaded = await page.evaluate((opts) => lecternEval.open(opts), {
      registryUrl,
      device: o.device,
      lateInteraction: o.lateInteraction,
      generator: o.generator ?? false,
      ...(o.dtype && { dtype: o.dtype }),
    });
    log(
      `loaded ${loaded.embedder.id} (${loaded.embedder.device}, ${loaded.embedder.dtype})` +
        (loaded.lateInteraction
          ? ` and ${loaded.lateInteraction.id} (${loaded.lateInteraction.device}, ${loaded.lateInteraction.dtype})`
          : '') +
        (loaded.generator
          ? ` and ${loaded.generator.id} (${loaded.generator.device}, ${loaded.generator.dtype})`
          : '') +
        ` in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const dense = { docs: 0, ms: 0 };
    const lateDocs = { docs: 0, ms: 0 };
    const dims = loaded.embedder.dims;
    const backends: Backends = {
      dense: {
        dims,
        embed: async (texts, kind) => {
          const out = new Float32Array(texts.length * dims);
          const t0 = performance.now();
          let at = 0;
          for (const part of chunks(texts, batch)) {
            const v = await page.evaluate(([t, k]) => lecternEval.embed(t, k), [part, kind] as const);
            if (!(v instanceof Float32Array) || v.length !== part.length * dims) {
              throw new Error(`embed returned ${v?.constructor?.name} of ${v?.length}, expected ${part.length * dims}`);
            }
            out.set(v, at);
            at += v.length;
            if (kind === 'document' && texts.length > batch && (at / dims) % (batch * 4) === 0) {
              const s = (performance.now() - t0) / 1000;
              log(`embedded ${at / dims}/${texts.length} documents (${(at / dims / s).toFixed(1)}/s)`);
            }
          }
          if (kind === 'document') {
            dense.docs += texts.length;
            dense.ms += performance.now() - t0;
          }
          return out;
        },
      },
    };
    if (loaded.lateInteraction) {
      backends.lateInteraction = {
        embedTokens: async (texts, kind) => {
          const out: Tokens[] = [];
          const t0 = performance.now();
          for (const part of chunks(texts, batch)) {
            out.push(...(await page.evaluate(([t, k]) => lecternEval.embedTokens(t, k), [part, kind] as const)));
          }
          if (kind === 'document') {
            lateDocs.docs += texts.length;
            lateDocs.ms += performance.now() - t0;
          }
          return out;
        },
      };
    }
    if (loaded.generator) {
      backends.generator = {
        complete: (messages, maxNewTokens) =>
          page.evaluate(([m, n]) => lecternEval.complete(m, n), [messages, maxNewTokens] as const),
        judge: (params) => page.evaluate((p) => lecternEval.judge(p), params),
      };
    }
    const rate = (s: { docs: number; ms: number }) =>
      s.docs > 0 && s.ms > 0 ? Math.round((s.docs / (s.ms / 1000)) * 10) / 10 : null;
    return {
      backends,
      loaded,
      stats: () => ({ docsPerSec: rate(dense), lateDocsPerSec: rate(lateDocs) }),
      close: async () => {
        await close();
        if (external.length > 0) {
          throw new Error(`requests tried to leave localhost (blocked): ${external.slice(0, 5).join(', ')}`);
        }
      },
    };
  } catch (err) {
    await close();
    if (err instanceof Error && /--device webgpu:/.test(err.message)) throw new PrerequisiteError(err.message);
    throw err;
  }
}
