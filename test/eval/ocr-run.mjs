// Runs ocr.ts (the OCR measurement) through Vite's module runner, as run.mjs does for eval.ts.
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const { module } = await runnerImport(fileURLToPath(new URL('./ocr.ts', import.meta.url)), { logLevel: 'error' });
process.exitCode = await module.main(process.argv.slice(2));
