// All-or-nothing readwrite helper: any failure aborts the whole transaction and surfaces as an AppError.
import type { AppError } from '../errors';
import { toStorageError } from './storage-errors';

/** The slice of an idb transaction this helper needs. */
export interface WritableTx {
  readonly done: Promise<void>;
  readonly error: DOMException | null;
  abort(): void;
}

/** Registers a request promise so its outcome is awaited (and its rejection never goes unhandled). */
export type Track = (request: Promise<unknown>) => void;

const noop = (): void => {};

/**
 * Runs body, waits for every tracked request and the commit. Requests are issued without awaiting
 * each one (faster), so a throw part-way must abort explicitly: otherwise the requests already
 * issued would auto-commit and leave partial rows.
 */
export async function runInTransaction<T>(
  tx: WritableTx,
  operation: string,
  body: (track: Track) => Promise<T> | T,
): Promise<T> {
  const pending: Promise<unknown>[] = [];
  const track: Track = (request) => {
    request.catch(noop);
    pending.push(request);
  };
  // If body fails we never await done; mark it handled now.
  tx.done.catch(noop);
  try {
    const result = await body(track);
    await Promise.all(pending);
    await tx.done;
    return result;
  } catch (err) {
    throw abortWith(tx, err, operation);
  }
}

function abortWith(tx: WritableTx, err: unknown, operation: string): AppError {
  // Requests of an aborted transaction only see AbortError; the transaction's error names the real
  // cause (e.g. QuotaExceededError raised at commit).
  let cause: unknown = err;
  try {
    cause = tx.error ?? err;
  } catch {
    // Older engines throw when reading error on an unfinished transaction.
  }
  try {
    tx.abort();
  } catch {
    // Already aborted or committed.
  }
  return toStorageError(cause, operation);
}
