// Types of the model registry: which models the app can use and how to load them.
export type Device = 'webgpu' | 'wasm';
export type ModelRole = 'embedder' | 'late-interaction' | 'generator';

/** transformers.js dtype names; each maps to one onnx/model_<suffix>.onnx file. */
export type Dtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';

interface ModelBase {
  /** Hub model id, `{org}/{name}`. */
  id: string;
  /** Unique selection key when two entries share an id (e.g. other dtypes); defaults to id. */
  key?: string;
  role: ModelRole;
  label: string;
  revision: string;
  /** dtype per device; `webgpuNoF16` is used when the adapter lacks shader-f16. */
  dtype: { webgpu: Dtype; wasm: Dtype; webgpuNoF16?: Dtype };
  /** Download size in MB (10^6 bytes) when `sizes` has no entry for the dtype in use. */
  sizeMB: number;
  /** Download size in MB per dtype: the model's ONNX file for that dtype plus its small files. */
  sizes?: Partial<Record<Dtype, number>>;
  license: string;
}

export interface EmbedderSpec extends ModelBase {
  role: 'embedder';
  dims: number;
  pooling: 'mean' | 'cls';
  normalize: boolean;
  queryPrefix: string;
  documentPrefix: string;
  maxTokens: number;
  /** Whether the model accepts free-form search instructions (Promptriever-style). */
  instructions: boolean;
  /** Top dense cosine below which, with no reranker loaded, results count as "nothing relevant". */
  relevanceThreshold?: number;
}

export interface LateInteractionSpec extends ModelBase {
  role: 'late-interaction';
  /** Output dims after projection. */
  dims: number;
  hiddenSize: number;
  queryMarker: string;
  documentMarker: string;
  queryLength: number;
  documentLength: number;
  /** Where the linear projection lives; null when the ONNX graph already projects. */
  projection: { file: string; tensor: string; in: number; out: number } | null;
  skiplist: string[];
  /** Mean best-match over the query's words below which results count as "nothing relevant"; default 0.5. */
  relevanceThreshold?: number;
}

export interface GeneratorSpec extends ModelBase {
  role: 'generator';
  contextLength: number;
  maxNewTokens: number;
}

export type ModelSpec = EmbedderSpec | LateInteractionSpec | GeneratorSpec;

export interface Registry {
  version: 1;
  name: string;
  /** Base of `{model}/resolve/{revision}/{file}` URLs; relative to the registry URL when not absolute. */
  modelBaseUrl: string;
  models: ModelSpec[];
}

export type SpecOf<R extends ModelRole> = Extract<ModelSpec, { role: R }>;
