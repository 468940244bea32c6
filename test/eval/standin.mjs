// `node test/eval/standin.mjs [--models DIR] [--pool N]`: loads standin.ts through Vite's module runner and runs its main().
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const { module } = await runnerImport(fileURLToPath(new URL('./standin.ts', import.meta.url)), { logLevel: 'error' });
process.exitCode = await module.main(process.argv.slice(2));
