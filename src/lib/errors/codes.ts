// The error-code table: one code per cause a user (or a developer) can hit, each with a plain-language message
// template. `{name}` placeholders are filled from the error's details; every throw site passes them all. Codes used
// as a `toAppError` fallback (UNKNOWN, STORAGE_FAILED, REGISTRY_FETCH_FAILED, MODEL_LOAD_FAILED, FEEDBACK_*, TRAINING_EXPORT_FAILED,
// ADAPTER_*_FAILED) and warning codes have no placeholders, since they are shown without details.
export const ERROR_CODES = {
  UNKNOWN: 'Something went wrong. Please try again.',
  ABORTED: 'The operation was cancelled.',
  WORKER_CRASHED: 'A background worker stopped unexpectedly. Reload the page to try again.',
  MODEL_STALLED:
    'The {model} stopped responding ({method} showed no progress for {seconds} s), so it was restarted. Try again.',
  MODEL_LOAD_STALLED: 'The {model} stopped loading: nothing happened for {seconds} s. Reload the page to try again.',
  IMPORT_STALLED: '"{fileName}" took longer than {seconds} s to read and was stopped; the next files go on.',
  RPC_UNKNOWN_METHOD: 'A background worker has no method "{method}".',
  REGISTRY_FETCH_FAILED: 'The model registry could not be loaded from that address.',
  REGISTRY_URL_INVALID: 'The model registry address "{url}" is not a valid URL.',
  REGISTRY_UNREACHABLE: 'The model registry could not be loaded from {url}: the host did not answer.',
  REGISTRY_HTTP_ERROR: 'The model registry could not be loaded from {url} (HTTP {status}).',
  REGISTRY_NOT_JSON: 'The model registry at {url} is not valid JSON.',
  REGISTRY_INVALID: 'The model registry is not valid: {path} {why}.',
  MODEL_NOT_FOUND: 'The registry has no {role} model.',
  MODEL_HUB_UNREACHABLE:
    'The model file {url} could not be downloaded ({reason}). If you are offline or the model host is blocked, self-host the model files (same layout as the Hugging Face hub) and set their base URL in Settings.',
  MODEL_FILE_MISSING:
    'The model host has no file at {url} (HTTP 404). The registry may name a file or precision that the host does not have.',
  MODEL_ACCESS_DENIED:
    'The model host refused {url} (HTTP {status}): the model may not exist under that name, or be gated or private.',
  MODEL_LOAD_FAILED: 'The model could not be loaded.',
  MODEL_DOWNLOAD_DECLINED:
    'No answer was written: the answer model is not downloaded. The passages found by keywords are below; choose "Download models" in the Models panel to get answers.',
  MODEL_DOWNLOAD_CANCELLED:
    'The download of {model} was cancelled. Search uses keywords only until you download it again from the Models panel.',
  MODEL_DOWNLOAD_PAUSED:
    'The download of {model} is paused. Resume it from the Models panel; it continues where it stopped.',
  MODEL_REMOVE_FAILED: 'The model {model} could not be removed from the browser cache ({cause}).',
  MODEL_INCOMPATIBLE: 'The model "{model}" cannot be used here: {why}.',
  MODEL_NOT_LOADED: 'The {role} model is not loaded yet.',
  EMBEDDER_NOT_READY: 'The embedding model is not ready yet. Try again once it has loaded.',
  SEARCH_NOT_READY: 'Search is still starting. Try again in a moment.',
  SEARCH_OPEN_FAILED: 'The search index could not be opened from the browser storage.',
  SEARCH_STALLED:
    'Search stopped responding ({method} showed no progress for {seconds} s) and was restarted. Ask again.',
  SEARCH_OPEN_STALLED:
    'Search could not reopen your library after a restart: {method} showed no progress for {seconds} s. Ask again, or reload the page.',
  BACKFILL_STOPPED:
    'Adding the missing vectors stopped ({cause}). The documents without them stay searchable by keywords only; it goes on at the next start or retry.',
  INDEX_NOT_OPEN: 'The search index is not open yet.',
  QUESTION_TOO_LONG: 'The question is too long for the answer model.',
  DOCUMENT_GONE: 'That document is no longer in your library.',
  MODEL_RUN_FAILED: 'The model failed while running.',
  MODEL_NO_VERDICT_TOKENS:
    'Deep mode needs an answer model whose tokenizer writes "yes" and "no" as single tokens, and "{model}" does not; the search order was kept.',
  MODEL_OUTPUT_MISSING: 'The model "{model}" returned no {output}.',
  MODEL_DIMS_MISMATCH: 'The model "{model}" returned {got}-dimensional {output} but the registry says {dims}.',
  WEBGPU_UNAVAILABLE: 'WebGPU is not available in this browser; MaxSim runs on the CPU.',
  WEBGPU_NO_ADAPTER: 'WebGPU has no usable adapter; MaxSim runs on the CPU.',
  WEBGPU_DEVICE_FAILED: 'The WebGPU device could not be created; MaxSim runs on the CPU.',
  WEBGPU_JOB_TOO_LARGE: 'These {candidates} candidates are too large for one WebGPU pass; MaxSim runs on the CPU.',
  WEBGPU_RUN_FAILED: 'WebGPU failed while scoring; MaxSim runs on the CPU.',
  EMBEDDING_DIMS_MISMATCH:
    'Vectors of {got} dimensions do not match the index, which has {dims}. Re-index your library.',
  INDEX_DIMS_INVALID: 'A dense index needs a positive whole number of dimensions, not {dims}.',
  INDEX_DIMS_TOO_LARGE: 'Vectors of {dims} dimensions exceed the dense index limit of {limit}.',
  FILE_EMPTY: '"{fileName}" is empty.',
  FILE_TOO_LARGE: '"{fileName}" is larger than the {limitMB} MB limit.',
  FILE_UNSUPPORTED_TYPE:
    '"{fileName}" is {article} {type}, which Lectern cannot read. Lectern reads PDF, Word (.docx), PowerPoint (.pptx), OpenDocument text (.odt), RTF, Excel (.xlsx), OpenDocument spreadsheet (.ods), CSV, EPUB, HTML, Markdown and plain text files.',
  FILE_DUPLICATE: '"{fileName}" is already in your library as "{existing}".',
  FILE_DECODE_WARNING: 'Some bytes in the file were not valid text and were replaced.',
  PDF_PASSWORD_REQUIRED: 'This PDF is protected by a password.',
  PDF_PASSWORD_INCORRECT: 'The password for this PDF is incorrect.',
  PDF_NO_TEXT: 'This PDF has no extractable text; it needs OCR.',
  OCR_FAILED:
    'The text of page {page} of "{fileName}" could not be recognised ({reason}). Nothing of this file was added.',
  OCR_UNAVAILABLE:
    'Text recognition (OCR) cannot run in this browser ({reason}), so the scanned pages of this PDF could not be read.',
  OCR_SKIPPED:
    'Text recognition (OCR) could not run, so the scanned pages of this PDF were left out; their text cannot be searched.',
  OCR_PICTURES_FAILED:
    'The text of some pictures in this file could not be recognised (this browser could not draw them); the rest was added.',
  OCR_IMAGES_SKIPPED:
    "Text recognition (OCR) could not run, so the text in this file's pictures was left out; the rest was added.",
  PDF_INVALID: 'This file is not a valid PDF or is damaged.',
  DOCX_INVALID: '"{fileName}" is not a Word document Lectern can read ({reason}).',
  DOCX_TOO_LARGE_UNCOMPRESSED: 'This Word document expands to an unreasonable size and was refused.',
  EPUB_INVALID: '"{fileName}" is not an EPUB e-book Lectern can read ({reason}).',
  EPUB_TOO_LARGE_UNCOMPRESSED: 'This e-book expands to an unreasonable size and was refused.',
  PPTX_INVALID: '"{fileName}" is not a PowerPoint presentation Lectern can read ({reason}).',
  PPTX_TOO_LARGE_UNCOMPRESSED: 'This presentation expands to an unreasonable size and was refused.',
  ODT_INVALID: '"{fileName}" is not an OpenDocument text Lectern can read ({reason}).',
  ODT_TOO_LARGE_UNCOMPRESSED: 'This OpenDocument text expands to an unreasonable size and was refused.',
  RTF_INVALID: '"{fileName}" is not an RTF document Lectern can read ({reason}).',
  XLSX_INVALID: '"{fileName}" is not an Excel workbook Lectern can read ({reason}).',
  XLSX_TOO_LARGE_UNCOMPRESSED: 'This Excel workbook expands to an unreasonable size and was refused.',
  ODS_INVALID: '"{fileName}" is not an OpenDocument spreadsheet Lectern can read ({reason}).',
  ODS_TOO_LARGE_UNCOMPRESSED: 'This OpenDocument spreadsheet expands to an unreasonable size and was refused.',
  SPREADSHEET_TOO_LARGE:
    '"{fileName}" has more than {limit} {unit}, the most Lectern reads from one spreadsheet. Split it into smaller files and add those.',
  NO_TEXT: 'No text could be extracted from "{fileName}".',
  STORAGE_FAILED: 'Saving to the browser storage failed.',
  STORAGE_UPGRADED_ELSEWHERE:
    'Lectern was updated in another tab, which closed its storage here. Reload this page to go on.',
  STORAGE_CLOSED: "The browser closed Lectern's storage. Reload this page to go on.",
  STORAGE_BLOCKED: 'Another Lectern tab still uses an older version of the library. Close or reload it to go on.',
  PUBLISHED_URL_INVALID: 'The published library address "{url}" is not a valid http(s) URL.',
  PUBLISHED_UNREACHABLE:
    'The published library at {url} could not be loaded ({reason}). If it is on another site, that site must allow it (CORS) and this app’s security policy must list it; or host the library beside the app.',
  PUBLISHED_HTTP_ERROR: 'The published library file {url} could not be loaded (HTTP {status}).',
  PUBLISHED_MANIFEST_INVALID: 'The published library at {url} is not a Lectern library: {why}.',
  PUBLISHED_FORMAT_UNSUPPORTED:
    'The published library at {url} has format {format}; this app reads format {supported}. Publish it again with this version.',
  PUBLISHED_SHARD_INVALID: 'A file of the published library ({file}) is damaged ({why}); it was not used.',
  PUBLISHED_SHARD_TAMPERED:
    'A file of the published library ({file}) does not match its manifest (its contents changed); it was not used.',
  STORAGE_QUOTA: 'The browser storage is full. Delete documents or free space, then try again.',
  OFFLINE_SETUP_FAILED:
    'Lectern could not keep an offline copy of itself in this browser ({cause}). It works while online; reload to try again.',
  OFFLINE_CLEAR_FAILED:
    'The offline copies could not all be cleared ({cause}). Close other Lectern tabs and try again.',
  OFFLINE_INVENTORY_FAILED: 'What this browser keeps for offline use could not be read ({cause}).',
  PROMPT_CHOICE_FAILED: 'The prompt choice could not be saved ({cause}); new questions keep the previous one.',
  PROMPT_FIGURES_FAILED: 'The figures of the answer prompts could not be read ({cause}).',
  PROMPT_ASSIGNMENT_FAILED:
    'Which prompt version to use could not be read from storage ({cause}); this question used the default, version {version}.',
  PROMPT_STATS_FAILED: 'This answer could not be counted in the figures of its prompt version ({cause}).',
  TAB_SYNC_FAILED:
    'Another tab changed your library and this tab could not catch up. Reload this page to see the current library.',
  INDEX_EMPTY: 'Your library is empty. Add documents first.',
  INDEX_STILL_BUILDING: 'Your documents are still being added. Ask again once they are ready.',
  QUESTION_EMPTY: 'Type a question first.',
  EVAL_SET_EMPTY:
    'There is nothing to evaluate yet: the evaluation set is empty. Generate synthetic questions, write your own, or mark sources of your answers as relevant first.',
  EVAL_SET_ALL_TRAINED:
    'Every question in the evaluation set was used to train the relevance adapter, so scoring them would flatter it. Switch the adapter off, or add questions, to evaluate.',
  SYNTHETIC_NO_DOCUMENTS: 'There are no documents to write questions about. Add documents to your library first.',
  SYNTHETIC_NEEDS_ANSWER_MODEL:
    'Synthetic questions are written by the answer model, which could not be used: {cause} Load the answer model from the Models panel and try again.',
  SYNTHETIC_RUNNING: 'Synthetic questions are already being written. Wait for that run to finish, or cancel it.',
  EVAL_QUESTION_EMPTY: 'Type the question first.',
  BENCHMARK_INCOMPLETE:
    'That folder is not a BEIR benchmark: {missing} not found. Pick the folder that holds corpus.jsonl, queries.jsonl and qrels/test.tsv.',
  BENCHMARK_INVALID: 'That benchmark could not be read: {why}. Nothing was imported.',
  BENCHMARK_READ_FAILED: 'The benchmark files could not be read ({cause}). Pick the folder again.',
  BENCHMARK_RUNNING: 'A benchmark is already being imported. Wait for it to finish.',
  PDF_PAGES_SKIPPED: 'Some pages of this PDF could not be read and were skipped.',
  PDF_PAGES_SCANNED:
    'Some pages of this PDF appear to be scanned images with no text layer; their text was not added and cannot be searched.',
  LIBRARY_BUSY: 'Files are still being added to your library. Export or import the library once they are done.',
  ARCHIVE_DAMAGED:
    'This file is not a Lectern library export, or it is damaged or incomplete ({reason}). Nothing was imported.',
  ARCHIVE_VERSION:
    'This library export is in format {found}, which this version of Lectern cannot read (it reads format {supported}). Nothing was imported.',
  ARCHIVE_SCHEMA_NEWER:
    'This library export comes from a newer Lectern (storage version {found}; this one has {supported}). Update Lectern, then import it again. Nothing was imported.',
  ARCHIVE_TAMPERED:
    'This library export was changed after it was made: "{entry}" does not match the checksum in its manifest. Nothing was imported.',
  ARCHIVE_INVALID: 'This library export is not valid: {why}. Nothing was imported.',
  COPY_FAILED: 'The answer could not be copied: the browser did not allow access to the clipboard.',
  FEEDBACK_SAVE_FAILED: 'Your feedback could not be saved.',
  FEEDBACK_READ_FAILED: 'Your earlier feedback could not be read.',
  FEEDBACK_DELETE_FAILED: 'The feedback could not be deleted.',
  TRAINING_EXPORT_FAILED: 'The training data could not be exported.',
  TRAINING_EXPORT_NO_FEEDBACK:
    'There is no training data to export yet: give feedback on some answers first (a thumbs up, or mark sources relevant).',
  TRAINING_EXPORT_NO_POSITIVES:
    'There is no training data to export yet: no feedback says which passage answers a question. Give a thumbs up to a good answer, or mark a source relevant.',
  ADAPTER_TOO_FEW_QUERIES:
    "The relevance adapter learns from questions whose sources you judged, and it needs at least {needed}; there are {queries}. Mark the sources of at least {needed} questions' answers as relevant (or give good answers a thumbs up), or generate synthetic questions, then train it again.",
  ADAPTER_NEEDS_EMBEDDER:
    'The relevance adapter tunes the search by meaning, which is off: the embedding model is not loaded. Load it from the Models panel, then train the adapter.',
  ADAPTER_RUNNING: 'The relevance adapter is already being trained. Wait for that run to finish, or stop it.',
  ADAPTER_TRAIN_FAILED: 'The relevance adapter could not be trained.',
  ADAPTER_SAVE_FAILED: 'The relevance adapter could not be saved or changed.',
  ADAPTER_READ_FAILED: 'The relevance adapter could not be read.',
  INSTRUCTION_FILTERS_INVALID:
    'Your instruction could not be turned into search filters ({why}), so the search ran without them.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
