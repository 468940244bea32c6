// Browser entry of the browser benchmark: the e2e harness (seeded MaxSim cases, CPU and WebGPU MaxSim) plus the app's generator and ingest workers.
import '../../e2e/harness/page-entry';
import { buildMessages } from '../../../src/lib/answer/prompt';
import { detectCapabilities } from '../../../src/lib/config/capabilities';
import { dtypeFor } from '../../../src/lib/config/registry';
import type { GeneratorMethods } from '../../../src/lib/models/generator/types';
import type { IngestMethods } from '../../../src/lib/pipelines/library-types';
import { connectWorker, type RpcClient } from '../../../src/lib/rpc';
import type { SearchMethods } from '../../../src/lib/retrieval/search-types';
import type { IndexSyncMethods } from '../../../src/lib/pipelines/library-sync';
import { scaleQueries, seedLibrary } from './scale-seed';

/** Starts the real generator worker entry, built as the app builds its workers. */
function generator(): RpcClient<GeneratorMethods> {
  return connectWorker<GeneratorMethods>(
    new Worker(new URL('../../../src/workers/generator.worker.ts', import.meta.url), { type: 'module' }),
  );
}

/** Starts the real ingest worker entry (parse + chunk; pdf.js runs in its own worker, as in the app). */
function ingest(): RpcClient<IngestMethods> {
  return connectWorker<IngestMethods>(
    new Worker(new URL('../../../src/workers/ingest.worker.ts', import.meta.url), { type: 'module' }),
  );
}

/** Starts the real search worker entry (indexes, snapshot, retrieval); `end` terminates it, as a reload would. */
function search(): { rpc: RpcClient<SearchMethods & IndexSyncMethods>; end: () => void } {
  const worker = new Worker(new URL('../../../src/workers/search.worker.ts', import.meta.url), { type: 'module' });
  return { rpc: connectWorker<SearchMethods & IndexSyncMethods>(worker), end: () => worker.terminate() };
}

const bench = { generator, ingest, search, seedLibrary, scaleQueries, buildMessages, detectCapabilities, dtypeFor };
export type Bench = typeof bench;

(globalThis as unknown as { lecternBench: Bench }).lecternBench = bench;
