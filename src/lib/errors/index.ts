// Public surface of the error module.
export { ERROR_CODES, isErrorCode, type ErrorCode } from './codes';
export { AppError, causeOf, failureOf, toAppError, isAbortError, type ErrorDetails } from './app-error';
export { toWire, fromWire, type WireError } from './wire';
