// Public surface of the RPC module.
export type { Caller, CallOptions, Handlers, HandlerContext, MethodMap, Endpoint } from './protocol';
export { RpcClient, connectPort, connectWorker } from './client';
export { serve } from './server';
export { LocalCaller } from './local';
export { Latest } from './latest';
export { MAX_RESTARTS, Supervisor, type SupervisorOptions, type Terminable } from './supervisor';
