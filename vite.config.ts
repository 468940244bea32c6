// Vite build for the static app (served from any path), the self-hosted ORT binaries, and Vitest.
import { createReadStream, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { contentSecurityPolicy, headersFile, parseConnectSrc, securityHeaders } from './tools/security-headers.mjs';

const require = createRequire(import.meta.url);
// The exact onnxruntime-web build transformers.js imports, so its wasm matches its JS.
const ortDist = dirname(
  require.resolve('onnxruntime-web/webgpu', { paths: [dirname(require.resolve('@huggingface/transformers'))] }),
);
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

/** Serves and emits ONNX Runtime's WASM under ort/, so the app never fetches it from a CDN. */
function selfHostedOrt(): Plugin {
  let outDir: string | null = null;
  return {
    name: 'lectern-self-hosted-ort',
    configResolved(config) {
      // Vitest also runs build hooks, with a dummy outDir: copy only in real builds.
      outDir = config.command === 'build' && !process.env.VITEST ? resolve(config.root, config.build.outDir) : null;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = req.url?.split('?')[0]?.split('/ort/')[1];
        if (!name || !ORT_FILES.includes(name)) return next();
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        createReadStream(join(ortDist, name)).pipe(res);
      });
    },
    closeBundle() {
      if (!outDir) return;
      mkdirSync(join(outDir, 'ort'), { recursive: true });
      for (const f of ORT_FILES) copyFileSync(join(ortDist, f), join(outDir, 'ort', f));
      // onnxruntime-web's `new URL('…wasm', import.meta.url)` makes Vite emit a hashed 27 MB copy too; the app
      // always sets wasmPaths to ort/, so that copy is never fetched and only bloats the deploy.
      const assets = join(outDir, 'assets');
      if (existsSync(assets))
        for (const f of readdirSync(assets)) if (/^ort-wasm-.*\.wasm$/.test(f)) rmSync(join(assets, f));
    },
  };
}

// Extra model hosts (self-hosted registries on another origin), added to connect-src at build time.
const connectSrc = parseConnectSrc(process.env.LECTERN_CONNECT_SRC);
const headers = securityHeaders({ connectSrc });

/**
 * Puts the CSP into index.html as a meta tag (for static hosts that send no headers; no frame-ancestors there) and
 * emits dist/_headers (Netlify / Cloudflare Pages) with every header, both from tools/security-headers.mjs.
 */
function securityHeadersPlugin(): Plugin {
  return {
    name: 'lectern-security-headers',
    // The page holds a placeholder, so the policy sits right after the charset, before anything it governs.
    transformIndexHtml: (html) => html.replace('%LECTERN_CSP%', contentSecurityPolicy({ connectSrc, forMeta: true })),
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile(headers) });
    },
  };
}

/**
 * The offline copy: a Workbox service worker (sw.js, generated at build time; the app registers it only in production
 * builds, src/lib/offline/register.ts) that precaches the app shell (index.html, the hashed assets and workers, Voy's
 * wasm) and answers every visit to the app's own page (its folder or index.html) with the cached index.html. ONNX Runtime's files under ort/ are kept
 * by public/sw-ort.js, imported into it, and served only while the browser is offline: serving the 27 MB wasm through
 * the worker online (precached, to every model worker of a tab) made Chromium 156 stall reloads of the controlled page
 * for minutes, 4 times in 4 runs, and not once in 8 reloads without it. runtime.ts turns transformers.js's own copy
 * of them off (env.useWasmCache), so they are stored once. Model files are not in the precache: transformers.js keeps them in its own Cache API cache
 * (`transformers-cache`, env.useBrowserCache). The published-library reader keeps its shards in `lectern-published`.
 * No skipWaiting: a new version takes over once every tab of the old one is closed, so a running tab never loses the
 * files it was built with.
 */
function offlineCopy(): Plugin[] {
  return VitePWA({
    injectRegister: false,
    manifest: false,
    filename: 'sw.js',
    // After the ort/ copy above (closeBundle, sync), so its files exist when Workbox globs dist/ and the hashed
    // ort wasm copy it deletes is not listed.
    integration: { closeBundleOrder: 'post' },
    workbox: {
      cacheId: 'lectern',
      globPatterns: ['index.html', 'favicon.svg', 'assets/**/*.{js,css,wasm}'],
      importScripts: ['sw-ort.js'],
      // The app's page is its own precached index.html, whatever the query (?registry=, ?library=): the precache
      // lookup drops every parameter and maps the app's folder to index.html. No navigation fallback, so deeper pages
      // in scope (a published library's original index.html files, another app's pages) stay themselves.
      ignoreURLParametersMatching: [/.*/],
      directoryIndex: 'index.html',
      clientsClaim: true,
      skipWaiting: false,
      cleanupOutdatedCaches: true,
      inlineWorkboxRuntime: true,
      sourcemap: false,
    },
  });
}

export default defineConfig({
  root: 'src',
  base: './',
  publicDir: '../public',
  plugins: [
    svelte({ configFile: resolve(import.meta.dirname, 'svelte.config.js') }),
    selfHostedOrt(),
    securityHeadersPlugin(),
    offlineCopy(),
  ],
  worker: { format: 'es' },
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
  },
  preview: { port: 4173, headers },
  server: { headers },
  test: {
    root: '.',
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
  },
});
