// The typed RPC protocol between the main thread and workers: method maps and wire messages.
import type { WireError } from '../errors';

/** A method map: each method names its params, result and progress payload. */
export type MethodMap = Record<string, { params: unknown; result: unknown; progress: unknown }>;

export type Params<M extends MethodMap, K extends keyof M> = M[K]['params'];
export type Result<M extends MethodMap, K extends keyof M> = M[K]['result'];
export type Progress<M extends MethodMap, K extends keyof M> = M[K]['progress'];

export interface CallOptions<P> {
  signal?: AbortSignal;
  onProgress?: (progress: P) => void;
  /** Objects to transfer rather than copy (large typed-array buffers). */
  transfer?: Transferable[];
}

/** What every RPC implementation offers, in-thread or across a worker. */
export interface Caller<M extends MethodMap> {
  call<K extends keyof M & string>(
    method: K,
    params: Params<M, K>,
    options?: CallOptions<Progress<M, K>>,
  ): Promise<Result<M, K>>;
}

export interface HandlerContext<P> {
  signal: AbortSignal;
  progress: (p: P) => void;
  /** Lets a handler transfer buffers in its result instead of copying them. */
  transfer: (t: Transferable) => void;
  /** Says the handler is alive and will show life again (progress, `expect` or its result) within `ms`. */
  expect: (ms: number) => void;
}

export type Handlers<M extends MethodMap> = {
  [K in keyof M]: (params: M[K]['params'], ctx: HandlerContext<M[K]['progress']>) => Promise<M[K]['result']>;
};

export type RequestMessage = { kind: 'request'; id: number; method: string; params: unknown };
export type CancelMessage = { kind: 'cancel'; id: number };
/** Carries a MessagePort (in the event's ports) on which the worker serves the same handlers to another worker. */
export type ConnectMessage = { kind: 'connect' };
export type ToWorker = RequestMessage | CancelMessage | ConnectMessage;

export type ToMain =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: WireError }
  | { kind: 'progress'; id: number; progress: unknown };

/**
 * What a watched worker tells its owner, beside its replies: each call's deadline for its next sign of life (`within`
 * ms from now; null when the call ended), whichever line it came on, and events of its own (a model moved device).
 * `id` is the request's id when the call came on the owner's own line: the owner then knows the worker picked it up.
 */
export type OwnerMessage =
  | { kind: 'life'; call: number; method: string; within: number | null; id?: number }
  | { kind: 'event'; event: unknown };

/** The part of Worker / MessagePort / DedicatedWorkerGlobalScope the RPC needs. */
export interface Endpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}
