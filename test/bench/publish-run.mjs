// `npm run bench:publish` entry: Node cannot run TypeScript, so this loads publish-bench.ts through a Vite server, as the publish CLI does.
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = fileURLToPath(new URL('../../', import.meta.url));
const server = await createServer({
  root,
  configFile: false,
  logLevel: 'error',
  appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false, watch: null },
  optimizeDeps: { noDiscovery: true, include: [] },
});
try {
  const module = await server.ssrLoadModule(fileURLToPath(new URL('./publish-bench.ts', import.meta.url)));
  process.exitCode = await module.main();
} catch (err) {
  console.error(`bench:publish: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await server.close();
}
