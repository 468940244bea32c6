#!/usr/bin/env node
// `lectern publish`: Node cannot run the app's TypeScript directly, so this loads publish.ts through a Vite server's module runner.
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = fileURLToPath(new URL('../../', import.meta.url));
const entry = fileURLToPath(new URL('./publish.ts', import.meta.url));
// A server rather than runnerImport: the parsers import pdf.js and mammoth on demand, long after the entry loaded,
// and runnerImport's runner is closed by then. No config file (the app's Svelte plugin plays no part), no watcher.
const server = await createServer({
  root,
  configFile: false,
  logLevel: 'error',
  appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false, watch: null },
  optimizeDeps: { noDiscovery: true, include: [] },
});
try {
  const module = await server.ssrLoadModule(entry);
  process.exitCode = await module.main(process.argv.slice(2));
} finally {
  await server.close();
}
