// Public surface of the persistence module: open the database, then use the repositories.
export {
  DB_NAME,
  DB_VERSION,
  type ChunkRecord,
  type DocumentRecord,
  type DocumentStatus,
  type LecternDB,
  type KeywordRecord,
  type SettingRecord,
  type TokenVectorRecord,
  type VectorRecord,
  type JournalRecord,
  type PendingFileRecord,
  type EvalQuestionRecord,
} from './schema';
export { openLecternDB, type LecternDatabase, type OpenHooks } from './db';
export { MIGRATIONS, type Migration, type UpgradeTx } from './migrations';
export {
  saveDocumentWithChunks,
  deleteDocument,
  listDocuments,
  getDocument,
  findByHash,
  findByName,
  getChunks,
  getChunksByDoc,
  DERIVED_STORES,
  saveBackfilledVectors,
  tokenVectorModel,
  vectorsOf,
  type BackfilledVectors,
  type DerivedRows,
} from './documents-repo';
export {
  countPendingAttempt,
  putPendingFiles,
  deletePendingFiles,
  listPendingTabs,
  getPendingFiles,
} from './pending-repo';
export { forEachKeywordRow, getTokenVectors } from './retrieval-repo';
export { listDocumentIds, readIndexRows, type IndexRows } from './sync-repo';
export { loadAllVectors, clearVectors, toVectorRecord, type LoadedVectors } from './vectors-repo';
export {
  getSetting,
  setSetting,
  deleteSetting,
  listSettingKeys,
  updateSetting,
  type SettingGuard,
} from './settings-repo';
export {
  applyPromptUse,
  countThumbs,
  emptyPromptStats,
  listPromptStats,
  promptStatsKey,
  recentEvalRuns,
  recordPromptUse,
  thumbsByPrompt,
  type PromptRef,
  type PromptStatsRecord,
  type PromptUse,
  type ThumbCounts,
} from './prompt-stats-repo';
export {
  readLibraryRows,
  writeLibraryRows,
  type ImportMode,
  type LibraryRows,
  type LibraryWriteOutcome,
} from './library-rows';
export { putFeedback, updateFeedback, listFeedback, deleteFeedback, clearFeedback } from './feedback-repo';
export type { FeedbackRecord, FeedbackModel, FeedbackStage, SourceMark, Thumbs } from './feedback-schema';
export {
  deleteEvalQuestions,
  deleteSyntheticQuestions,
  documentsExist,
  listChunkIds,
  putEvalQuestions,
  removeOrphanQuestions,
  updateEvalQuestionText,
} from './eval-repo';
export { getJudgment, putJudgment, type JudgmentRecord } from './judgments-repo';
export { findOcrPage, getOcrPage, isOcrRowOf, ocrPageId, ocrPictureId, type OcrPageRecord } from './ocr-repo';
export { repairOnStartup, type RepairReport } from './consistency';
export {
  readSnapshot,
  writeSnapshot,
  journalSince,
  SNAPSHOT_FORMAT,
  type IndexSnapshot,
  type StoredSnapshot,
} from './snapshot-repo';
export { isQuotaError, toStorageError } from './storage-errors';
export { listEvalQuestions, listJudgedFeedback, saveEvalRun, listEvalRuns, deleteEvalRun } from './eval-repo';
export type { EvalRunRecord } from './eval-schema';
export { getAdapter, putAdapter, setAdapterEnabled, deleteAdapter } from './adapter-repo';
export type { AdapterRecord } from './adapter-schema';
