// Browser entry of the browser benchmark: the e2e harness (seeded MaxSim cases, CPU and WebGPU MaxSim) plus the app's generator and ingest workers.
import '../../e2e/harness/page-entry';
import { buildMessages } from '../../../src/lib/answer/prompt';
import { detectCapabilities } from '../../../src/lib/config/capabilities';
import { dtypeFor } from '../../../src/lib/config/registry';
import type { GeneratorMethods } from '../../../src/lib/models/generator/types';
import type { IngestMethods } from '../../../src/lib/pipelines/library-types';
import { connectWorker, type RpcClient } from '../../../src/lib/rpc';

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

const bench = { generator, ingest, buildMessages, detectCapabilities, dtypeFor };
export type Bench = typeof bench;

(globalThis as unknown as { lecternBench: Bench }).lecternBench = bench;
