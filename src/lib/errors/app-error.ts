// AppError: the one error class the app throws, carrying a code from the table.
import { ERROR_CODES, type ErrorCode } from './codes';

export type ErrorDetails = Record<string, string | number | boolean | null>;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message?: string, details: ErrorDetails = {}) {
    super(message ?? ERROR_CODES[code]);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

/** Wraps anything thrown into an AppError, keeping AppErrors and abort errors as they are. */
export function toAppError(err: unknown, fallback: ErrorCode = 'UNKNOWN'): AppError {
  if (err instanceof AppError) return err;
  if (isAbortError(err)) return new AppError('ABORTED');
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(fallback, `${ERROR_CODES[fallback]} (${message})`, { cause: message });
}

export function isAbortError(err: unknown): boolean {
  return (
    (err instanceof AppError && err.code === 'ABORTED') ||
    (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError')
  );
}
