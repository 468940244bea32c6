// Loads and validates a model registry, and picks models from it by role.
import { AppError, causeOf } from '../errors';
import defaultRegistryData from './default-registry.json';
import type { Device, Dtype, ModelRole, ModelSpec, Registry, SpecOf } from './registry-types';

const ROLES: readonly ModelRole[] = ['embedder', 'late-interaction', 'generator'];
const DTYPES: readonly Dtype[] = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'];

export const DEFAULT_REGISTRY_URL = 'builtin:default';

type Json = Record<string, unknown>;

function fail(path: string, why: string): never {
  throw new AppError('REGISTRY_INVALID', undefined, { path, why });
}

function str(o: Json, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') fail(`${path}.${key}`, 'must be a string');
  return v;
}

function num(o: Json, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`${path}.${key}`, 'must be a positive number');
  return v;
}

function dtype(v: unknown, path: string): Dtype {
  if (!DTYPES.includes(v as Dtype)) fail(path, `must be one of ${DTYPES.join(', ')}`);
  return v as Dtype;
}

function validateModel(raw: unknown, path: string): ModelSpec {
  if (typeof raw !== 'object' || raw === null) fail(path, 'must be an object');
  const o = raw as Json;
  const id = str(o, 'id', path);
  if (!/^[\w.-]+\/[\w.-]+$/.test(id)) fail(`${path}.id`, 'must look like "org/name"');
  const role = o.role as ModelRole;
  if (!ROLES.includes(role)) fail(`${path}.role`, `must be one of ${ROLES.join(', ')}`);
  const d = o.dtype as Json | undefined;
  if (typeof d !== 'object' || d === null) fail(`${path}.dtype`, 'must be an object');
  dtype(d.webgpu, `${path}.dtype.webgpu`);
  dtype(d.wasm, `${path}.dtype.wasm`);
  if (d.webgpuNoF16 !== undefined) dtype(d.webgpuNoF16, `${path}.dtype.webgpuNoF16`);
  str(o, 'label', path);
  str(o, 'revision', path);
  str(o, 'license', path);
  num(o, 'sizeMB', path);
  if (o.sizes !== undefined) {
    const sizes = o.sizes as Json | null;
    if (typeof sizes !== 'object' || sizes === null || Array.isArray(sizes)) fail(`${path}.sizes`, 'must be an object');
    for (const key of Object.keys(sizes)) {
      dtype(key, `${path}.sizes.${key}`);
      num(sizes, key, `${path}.sizes`);
    }
  }
  if (o.key !== undefined) str(o, 'key', path);
  if (
    o.relevanceThreshold !== undefined &&
    (typeof o.relevanceThreshold !== 'number' || Math.abs(o.relevanceThreshold) > 1)
  )
    fail(`${path}.relevanceThreshold`, 'must be a number between -1 and 1');
  if (role === 'embedder') {
    num(o, 'dims', path);
    num(o, 'maxTokens', path);
    str(o, 'queryPrefix', path);
    str(o, 'documentPrefix', path);
    if (o.pooling !== 'mean' && o.pooling !== 'cls') fail(`${path}.pooling`, 'must be "mean" or "cls"');
    if (typeof o.normalize !== 'boolean') fail(`${path}.normalize`, 'must be a boolean');
    if (typeof o.instructions !== 'boolean') fail(`${path}.instructions`, 'must be a boolean');
    if ((o.dims as number) > 768) fail(`${path}.dims`, 'must be at most 768 (the dense index limit)');
  } else if (role === 'late-interaction') {
    num(o, 'dims', path);
    num(o, 'hiddenSize', path);
    num(o, 'queryLength', path);
    num(o, 'documentLength', path);
    str(o, 'queryMarker', path);
    str(o, 'documentMarker', path);
    if (!Array.isArray(o.skiplist) || !o.skiplist.every((s) => typeof s === 'string'))
      fail(`${path}.skiplist`, 'must be a list of strings');
    const p = o.projection as Json | null | undefined;
    if (p !== null) {
      if (typeof p !== 'object' || p === undefined) fail(`${path}.projection`, 'must be an object or null');
      str(p, 'file', `${path}.projection`);
      str(p, 'tensor', `${path}.projection`);
      if (num(p, 'in', `${path}.projection`) !== o.hiddenSize) fail(`${path}.projection.in`, 'must equal hiddenSize');
      if (num(p, 'out', `${path}.projection`) !== o.dims) fail(`${path}.projection.out`, 'must equal dims');
    }
  } else {
    num(o, 'contextLength', path);
    num(o, 'maxNewTokens', path);
  }
  return o as unknown as ModelSpec;
}

/** Checks an untrusted registry object; resolves modelBaseUrl against the registry's own URL. */
export function validateRegistry(raw: unknown, registryUrl?: string): Registry {
  if (typeof raw !== 'object' || raw === null) fail('registry', 'must be a JSON object');
  const o = raw as Json;
  if (o.version !== 1) fail('version', 'must be 1');
  const name = str(o, 'name', 'registry');
  let base = str(o, 'modelBaseUrl', 'registry');
  if (registryUrl && !registryUrl.startsWith('builtin:')) base = new URL(base, registryUrl).href;
  if (!base.endsWith('/')) base += '/';
  if (!Array.isArray(o.models) || o.models.length === 0) fail('models', 'must be a non-empty list');
  const models = o.models.map((m, i) => validateModel(m, `models[${i}]`));
  const keys = new Set<string>();
  for (const m of models) {
    const k = modelKey(m);
    if (keys.has(k)) fail('models', `has two entries with key "${k}"; give one a distinct "key"`);
    keys.add(k);
  }
  for (const role of ROLES) {
    if (!models.some((m) => m.role === role)) fail('models', `has no ${role}`);
  }
  return { version: 1, name, modelBaseUrl: base, models };
}

export function defaultRegistry(): Registry {
  return validateRegistry(defaultRegistryData);
}

/** Fetches a registry by URL (absolute or relative to the page). */
export async function fetchRegistry(url: string, base: string): Promise<Registry> {
  if (url === DEFAULT_REGISTRY_URL) return defaultRegistry();
  let absolute: string;
  try {
    absolute = new URL(url, base).href;
  } catch {
    throw new AppError('REGISTRY_URL_INVALID', undefined, { url });
  }
  let res: Response;
  try {
    res = await fetch(absolute, { cache: 'no-cache' });
  } catch (err) {
    throw new AppError('REGISTRY_UNREACHABLE', undefined, { url: absolute, cause: causeOf(err) });
  }
  if (!res.ok) throw new AppError('REGISTRY_HTTP_ERROR', undefined, { url: absolute, status: res.status });
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    throw new AppError('REGISTRY_NOT_JSON', undefined, { url: absolute, cause: causeOf(err) });
  }
  return validateRegistry(body, absolute);
}

export function modelKey(m: ModelSpec): string {
  return m.key ?? m.id;
}

export function modelsFor<R extends ModelRole>(registry: Registry, role: R): SpecOf<R>[] {
  return registry.models.filter((m): m is SpecOf<R> => m.role === role);
}

/** The chosen model for a role, falling back to the first of that role. */
export function pickModel<R extends ModelRole>(registry: Registry, role: R, key?: string | null): SpecOf<R> {
  const all = modelsFor(registry, role);
  const found = all.find((m) => modelKey(m) === key) ?? all[0];
  if (!found) throw new AppError('MODEL_NOT_FOUND', undefined, { role });
  return found;
}

/** The ONNX file transformers.js loads for each dtype (its `DEFAULT_DTYPE_SUFFIX_MAPPING`), under `onnx/`. */
const ONNX_SUFFIX: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** The path of a model's ONNX file for `dtype`, inside its folder (`onnx/model_q4f16.onnx`). */
export function onnxFileFor(dtype: Dtype): string {
  return `onnx/model${ONNX_SUFFIX[dtype]}.onnx`;
}

/** The download size in MB of a model's files for `dtype`: the registry's per-dtype figure, else its `sizeMB`. */
export function sizeFor(spec: ModelSpec, dtype: Dtype): number {
  return spec.sizes?.[dtype] ?? spec.sizeMB;
}

export function dtypeFor(spec: ModelSpec, device: Device, hasF16: boolean): Dtype {
  if (device === 'wasm') return spec.dtype.wasm;
  return hasF16 ? spec.dtype.webgpu : (spec.dtype.webgpuNoF16 ?? spec.dtype.webgpu);
}
