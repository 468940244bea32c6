// What the UI may use besides the state classes: pure view helpers and types re-exported from lower layers.
export { explainMatches } from '../retrieval/explain';
export { INGEST_KINDS, type DocumentKind } from '../ingest/types';
export { parseCitations } from '../answer/citations';
export type { SentenceGrounding } from '../answer/grounding';
export { DEFAULT_SETTINGS, VOY_MEASURED, type Settings } from '../config/defaults';
export { modelKey, modelsFor } from '../config/registry';
export { formatMB, ROLE_NAMES, totalMB } from '../config/downloads';
export { OCR_LANGUAGES, ocrLanguagesOf } from '../config/ocr-languages';
