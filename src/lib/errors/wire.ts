// The wire form of errors that crosses the worker boundary as plain data.
import { AppError, type ErrorDetails } from './app-error';
import { isErrorCode, type ErrorCode } from './codes';

export interface WireError {
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
}

export function toWire(err: AppError): WireError {
  return { code: err.code, message: err.message, details: { ...err.details } };
}

export function fromWire(wire: unknown): AppError {
  if (typeof wire === 'object' && wire !== null) {
    const w = wire as Partial<WireError>;
    if (isErrorCode(w.code)) {
      return new AppError(w.code, typeof w.message === 'string' ? w.message : undefined, w.details ?? {});
    }
  }
  return new AppError('UNKNOWN');
}
