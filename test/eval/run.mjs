// Node 20 cannot run TypeScript directly, so this loads eval.ts through Vite's module runner and calls its main().
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const load = async (file) =>
  (await runnerImport(fileURLToPath(new URL(file, import.meta.url)), { logLevel: 'error' })).module;

const evalModule = await load('./eval.ts');
// The runner closes after each import, so the browser backends (Playwright, Vite bundling) load on demand here.
const openBrowser = async (options) => (await load('./browser-backends.ts')).openBrowserBackends(options);
process.exitCode = await evalModule.main(process.argv.slice(2), undefined, openBrowser);
