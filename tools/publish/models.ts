// The publish CLI's models: reads a registry (built-in, file or URL), serves a file registry's model folders on localhost, loads the app's embedders in Node.
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';
import { env } from '@huggingface/transformers';
import { originOf } from '../../src/lib/config/provenance';
import {
  DEFAULT_REGISTRY_URL,
  defaultRegistry,
  fetchRegistry,
  modelKey,
  pickModel,
  validateRegistry,
} from '../../src/lib/config/registry';
import type { Device, EmbedderSpec, LateInteractionSpec, Registry } from '../../src/lib/config/registry-types';
import { TransformersEmbedder } from '../../src/lib/models/embedder/transformers-embedder';
import { TransformersLateInteraction } from '../../src/lib/models/late-interaction/transformers-late-interaction';
import { loadTokenCounter, type TokenCounter } from '../../src/lib/models/tokenizer';
import { modelFingerprint, type PublishedModel } from '../../src/lib/published/format';
import { MODEL_SETS } from '../../test/fixtures/model-sets.mjs';
import { UserError } from './user-error';

export interface RegistrySource {
  registry: Registry;
  /** What the manifest records as the registry: `builtin:default`, the URL, or the file's path as given. */
  label: string;
  /** Set for a registry URL: the app is told to use it too (`<meta name="lectern-registry">`). */
  url: string | null;
  /** For a file registry: the folders its `{org}/{name}` model paths resolve in, first match wins. */
  modelDirs: string[] | null;
}

/** Reads `--registry`: none (the app's built-in default), an http(s) URL, or a JSON file. */
export async function readRegistry(arg: string | null, modelDirs: string[]): Promise<RegistrySource> {
  if (!arg || arg === DEFAULT_REGISTRY_URL) {
    return { registry: defaultRegistry(), label: DEFAULT_REGISTRY_URL, url: null, modelDirs: null };
  }
  if (/^https?:\/\//i.test(arg)) {
    const registry = await fetchRegistry(arg, arg);
    return { registry, label: arg, url: arg, modelDirs: null };
  }
  const file = resolve(arg);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`Cannot read the registry ${arg}: ${(err as Error).message}`);
  }
  const registry = validateRegistry(raw);
  const label = relative(process.cwd(), file).split(sep).join('/') || arg;
  if (/^https?:\/\//i.test(registry.modelBaseUrl)) return { registry, label, url: null, modelDirs: null };
  // As the test server does for the fixture registries; otherwise modelBaseUrl is a folder beside the file.
  const known = Object.values(MODEL_SETS).find((s) => s.registry === file);
  const dirs = modelDirs.length
    ? modelDirs.map((d) => resolve(d))
    : (known?.models ?? [resolve(dirname(file), registry.modelBaseUrl)]);
  return { registry, label, url: null, modelDirs: dirs };
}

/** Serves `{org}/{name}/resolve/{rev}/{file}` from the first folder holding `{org}/{name}/{file}`, on localhost. */
function serveFolders(dirs: string[]): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const hub = path.match(/^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/);
    const file = hub
      ? dirs
          .map((dir) => ({ dir, file: normalize(join(dir, hub[1]!, hub[2]!)) }))
          .find(({ dir, file }) => file.startsWith(dir + sep) && existsSync(file) && statSync(file).isFile())?.file
      : undefined;
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      ok({ server, base: `http://127.0.0.1:${port}/` });
    });
  });
}

export interface Loaded {
  embedder: TransformersEmbedder;
  late: TransformersLateInteraction;
  countTokens: TokenCounter;
}

export interface Models {
  embedderSpec: EmbedderSpec;
  lateSpec: LateInteractionSpec;
  /** What the manifest records. */
  published: { embedder: PublishedModel; late: PublishedModel };
  /** What a cached document's rows depend on: where the models come from and how the registry describes them. */
  cacheKey: string;
  /** Loads the models on first use (a run whose documents are all cached loads none). */
  load(): Promise<Loaded>;
  close(): void;
}

/**
 * The registry's first embedder and late-interaction model (the app's defaults), loaded with their wasm dtype in
 * onnxruntime-node. transformers.js reads model files from a URL; a file registry's folders are served on localhost.
 */
export async function prepareModels(source: RegistrySource, cacheDir: string): Promise<Models> {
  const { registry } = source;
  const embedderSpec = pickModel(registry, 'embedder');
  const lateSpec = pickModel(registry, 'late-interaction');
  const origin = source.modelDirs ? 'local files' : originOf(registry.modelBaseUrl);
  const describe = async (spec: EmbedderSpec | LateInteractionSpec): Promise<PublishedModel> => ({
    id: spec.id,
    revision: spec.revision,
    dims: spec.dims,
    dtype: spec.dtype.wasm,
    origin,
    registry: source.label,
    fingerprint: await modelFingerprint(spec),
  });
  let served: { server: Server; base: string } | null = null;
  let modelCache: string | null = null;
  let loading: Promise<Loaded> | null = null;
  const close = () => {
    served?.server.close();
    if (served && modelCache) rmSync(modelCache, { recursive: true, force: true });
  };
  const load = async (): Promise<Loaded> => {
    served = source.modelDirs ? await serveFolders(source.modelDirs) : null;
    // onnxruntime-node opens models from files: transformers.js keeps them in a file cache. Local folders get a
    // throwaway one (their port changes every run); downloads are kept beside the publish cache.
    modelCache = served ? mkdtempSync(join(tmpdir(), 'lectern-publish-')) : join(cacheDir, 'models');
    mkdirSync(modelCache, { recursive: true });
    env.useFSCache = true;
    env.cacheDir = modelCache;
    // onnxruntime-node runs natively: no ORT wasm to fetch (the app's ort/ folder is not served here).
    env.useWasmCache = false;
    const base = served?.base ?? registry.modelBaseUrl;
    const runtime = { modelBaseUrl: base, wasmBaseUrl: `${base}ort/` };
    // In Node, transformers.js runs onnxruntime-node, whose device is 'cpu': the same graphs the app's wasm runs.
    const device = 'cpu' as Device;
    const embedder = new TransformersEmbedder();
    const late = new TransformersLateInteraction();
    await embedder.load({ spec: embedderSpec, device, dtype: embedderSpec.dtype.wasm, runtime, selfTest: false });
    await late.load({ spec: lateSpec, device, dtype: lateSpec.dtype.wasm, runtime });
    const countTokens = await loadTokenCounter(embedderSpec, runtime);
    return { embedder, late, countTokens };
  };
  return {
    embedderSpec,
    lateSpec,
    published: { embedder: await describe(embedderSpec), late: await describe(lateSpec) },
    cacheKey: JSON.stringify([origin, modelKey(embedderSpec), embedderSpec, modelKey(lateSpec), lateSpec]),
    load: () => (loading ??= load()),
    close,
  };
}
