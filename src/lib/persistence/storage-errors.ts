// Maps IndexedDB failures onto AppError codes (STORAGE_QUOTA vs STORAGE_FAILED).
import { AppError } from '../errors';

/** True for the quota errors browsers raise: the standard name, Firefox's legacy name, or legacy code 22. */
export function isQuotaError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, code } = err as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22;
}

/**
 * Wraps anything a storage call threw. AppErrors pass through; an IDB AbortError is a failed
 * transaction, not a user cancel, so it becomes STORAGE_FAILED rather than ABORTED.
 */
export function toStorageError(err: unknown, operation: string): AppError {
  if (err instanceof AppError) return err;
  const name = typeof err === 'object' && err !== null ? String((err as { name?: unknown }).name ?? 'Error') : 'Error';
  const message = err instanceof Error || err instanceof DOMException ? err.message : String(err);
  const details = { operation, name, cause: message };
  if (isQuotaError(err)) return new AppError('STORAGE_QUOTA', undefined, details);
  return new AppError('STORAGE_FAILED', undefined, details);
}

/** Runs fn, rethrowing any failure as an AppError. */
export async function guardStorage<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStorageError(err, operation);
  }
}
