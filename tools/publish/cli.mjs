#!/usr/bin/env node
// `lectern publish`: Node cannot run the app's TypeScript directly, so this loads publish.ts through Vite's module runner.
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const entry = fileURLToPath(new URL('./publish.ts', import.meta.url));
// configFile: false, so the app's Vite config (its Svelte plugin, its root) plays no part in running the CLI.
const { module } = await runnerImport(entry, { configFile: false, logLevel: 'error' });
process.exitCode = await module.main(process.argv.slice(2));
