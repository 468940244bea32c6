// The error-code table: every failure a user can hit, with a plain-language message template ({name}: a detail).
export const ERROR_CODES = {
  UNKNOWN: 'Something went wrong. Please try again.',
  ABORTED: 'The operation was cancelled.',
  WORKER_CRASHED: 'A background worker stopped unexpectedly. Reload the page to try again.',
  REGISTRY_FETCH_FAILED: 'The model registry could not be loaded from that address.',
  REGISTRY_INVALID: 'The model registry is not valid.',
  MODEL_NOT_FOUND: 'The model is not in the registry.',
  MODEL_HUB_UNREACHABLE:
    'The model files could not be downloaded. If you are offline or the model host is blocked, self-host the models and set their base URL in Settings.',
  MODEL_FILE_MISSING: 'A model file is missing from the model host.',
  MODEL_ACCESS_DENIED: 'The model host refused access to the model: it may not exist, or be gated or private.',
  MODEL_LOAD_FAILED: 'The model could not be loaded.',
  MODEL_NOT_LOADED: 'The {role} model is not loaded yet.',
  EMBEDDER_NOT_READY: 'The embedding model is not ready yet. Try again once it has loaded.',
  SEARCH_NOT_READY: 'Search is still starting. Try again in a moment.',
  INDEX_NOT_OPEN: 'The search index is not open yet.',
  QUESTION_TOO_LONG: 'The question is too long for the answer model.',
  DOCUMENT_GONE: 'That document is no longer in your library.',
  MODEL_RUN_FAILED: 'The model failed while running.',
  WEBGPU_UNAVAILABLE: 'WebGPU is not available in this browser; using the slower WASM backend.',
  EMBEDDING_DIMS_MISMATCH: 'The embedding size does not match the index. Re-index your library.',
  FILE_EMPTY: 'The file is empty.',
  FILE_TOO_LARGE: 'The file is larger than the configured limit.',
  FILE_UNSUPPORTED_TYPE: 'This file type is not supported.',
  FILE_DUPLICATE: 'This file is already in your library.',
  FILE_DECODE_WARNING: 'Some bytes in the file were not valid text and were replaced.',
  PDF_PASSWORD_REQUIRED: 'This PDF is protected by a password.',
  PDF_PASSWORD_INCORRECT: 'The password for this PDF is incorrect.',
  PDF_NO_TEXT: 'This PDF has no extractable text; it needs OCR.',
  PDF_INVALID: 'This file is not a valid PDF or is damaged.',
  DOCX_INVALID: 'This file is not a valid Word document or is damaged.',
  DOCX_TOO_LARGE_UNCOMPRESSED: 'This Word document expands to an unreasonable size and was refused.',
  NO_TEXT: 'No text could be extracted from this file.',
  STORAGE_FAILED: 'Saving to the browser storage failed.',
  STORAGE_QUOTA: 'The browser storage is full. Delete documents or free space, then try again.',
  INDEX_EMPTY: 'Your library is empty. Add documents first.',
  QUESTION_EMPTY: 'Type a question first.',
  PDF_PAGES_SKIPPED: 'Some pages of this PDF could not be read and were skipped.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
