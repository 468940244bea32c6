// Node 20 cannot run TypeScript directly, so this loads eval.ts through Vite's module runner and calls its main().
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const { module } = await runnerImport(fileURLToPath(new URL('./eval.ts', import.meta.url)), { logLevel: 'error' });
process.exitCode = await module.main(process.argv.slice(2));
