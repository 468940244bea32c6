// Public surface of the RPC module.
export type { Caller, CallOptions, Handlers, HandlerContext, MethodMap, Endpoint, OwnerMessage } from './protocol';
export { RpcClient, connectPort, connectWorker } from './client';
export { serve, toOwner, DEFAULT_WITHIN_MS, type ServeOptions } from './server';
export { LocalCaller } from './local';
export { Latest } from './latest';
export { MAX_RESTARTS, Supervisor, type SupervisorOptions, type Terminable } from './supervisor';
export { Watchdog, realClock, type Clock, type Overrun } from './watchdog';
