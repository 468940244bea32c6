// AppError: the one error class the app throws, carrying a code from the table.
import { ERROR_CODES, type ErrorCode } from './codes';

export type ErrorDetails = Record<string, string | number | boolean | null>;

/** The code's message template with each `{name}` filled from `details` (left as is when the detail is missing). */
export function formatMessage(code: ErrorCode, details: ErrorDetails = {}): string {
  return ERROR_CODES[code].replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(details, name) ? String(details[name]) : whole,
  );
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  /** Without a message, the code's template filled from `details`. */
  constructor(code: ErrorCode, message?: string, details: ErrorDetails = {}) {
    super(message ?? formatMessage(code, details));
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

/** What a thrown value says: an Error's message, or the value as text. */
export function causeOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Wraps anything thrown into an AppError, keeping AppErrors and abort errors as they are. */
export function toAppError(err: unknown, fallback: ErrorCode = 'UNKNOWN'): AppError {
  if (err instanceof AppError) return err;
  if (isAbortError(err)) return new AppError('ABORTED');
  const message = causeOf(err);
  return new AppError(fallback, `${formatMessage(fallback)} (${message})`, { cause: message });
}

/**
 * Like toAppError, but a general storage failure is named as what failed (`code`); a more specific error (a full
 * storage, a closed database, an AppError of another code) keeps its own code and advice.
 */
export function failureOf(err: unknown, code: ErrorCode): AppError {
  const e = toAppError(err, code);
  if (e.code !== 'STORAGE_FAILED') return e;
  const cause = typeof e.details.cause === 'string' ? e.details.cause : causeOf(err);
  return new AppError(code, `${formatMessage(code)} (${cause})`, { cause });
}

export function isAbortError(err: unknown): boolean {
  return (
    (err instanceof AppError && err.code === 'ABORTED') ||
    (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError')
  );
}
