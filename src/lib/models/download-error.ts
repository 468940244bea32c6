// The one mapping from a failed model-file download to an error, shared by transformers.js loads and our own downloads.
import { AppError, type ErrorDetails } from '../errors';

/** A model-file request that failed: an HTTP error status, or (status null) no response or a body cut off. */
export interface DownloadFailure {
  url: string;
  status: number | null;
  /** The response came but its body broke off mid-download. */
  cutOff?: boolean;
}

/**
 * By status: 404 a missing file; 401 and 403 a refusal (the hub answers 401 for a repository that does not exist);
 * another status or no answer at all: the host is unreachable, with the self-hosting hint.
 */
export function downloadError(failure: DownloadFailure, details: ErrorDetails = {}): AppError {
  const { url, status } = failure;
  if (status === 404) return new AppError('MODEL_FILE_MISSING', undefined, { ...details, url, status });
  if (status === 401 || status === 403)
    return new AppError('MODEL_ACCESS_DENIED', undefined, { ...details, url, status });
  if (status !== null) {
    return new AppError('MODEL_HUB_UNREACHABLE', undefined, { ...details, url, status, reason: `HTTP ${status}` });
  }
  const reason = failure.cutOff ? 'the connection broke off' : 'no response';
  return new AppError('MODEL_HUB_UNREACHABLE', undefined, { ...details, url, reason });
}
