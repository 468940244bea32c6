// Keeping tabs in step: what one tab tells the others when its library changes (ids only) and how a tab applies it.
import type { DocumentSummary } from './ingest';

/** Documents saved (added, or replacing one in `removed`) and documents gone, by id. */
export interface LibraryChange {
  added: string[];
  removed: string[];
}

/** What travels on the channel: ids only, never a document's text; `from` is the sending tab's id. */
export interface TabMessage {
  v: 1;
  from: string;
  change: LibraryChange;
}

/** The search worker's extra method: reads the added documents' rows from storage itself and drops the removed. */
export type IndexSyncMethods = {
  sync: { params: LibraryChange; result: DocumentSummary[]; progress: never };
};

export interface SyncPorts {
  /** Brings this tab's search indexes in step; returns the summaries of the added documents still stored. */
  index(change: LibraryChange): Promise<DocumentSummary[]>;
  documents(): DocumentSummary[];
  setDocuments(docs: DocumentSummary[]): void;
  /** A document left the library: its passages leave the conversation (see ChatState.forgetDocument). */
  forget(docId: string): void;
}

/** The channel's name: one per database, so a test database never hears the real library. */
export const channelName = (dbName: string) => `lectern-library:${dbName}`;

export const message = (from: string, change: LibraryChange): TabMessage => ({ v: 1, from, change });

const ids = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/** The change another tab announced, or null for this tab's own messages and anything malformed. */
export function readMessage(data: unknown, self: string): LibraryChange | null {
  if (typeof data !== 'object' || data === null) return null;
  const m = data as Partial<TabMessage>;
  if (m.v !== 1 || typeof m.from !== 'string' || m.from === self) return null;
  const c = m.change as Partial<LibraryChange> | undefined;
  if (!c || !ids(c.added) || !ids(c.removed)) return null;
  return { added: [...c.added], removed: [...c.removed] };
}

/** What differs between the documents a tab lists and those stored: the consistency check after a missed message. */
export function diffLibrary(listed: readonly string[], stored: readonly string[]): LibraryChange {
  const have = new Set(listed);
  const kept = new Set(stored);
  return { added: stored.filter((id) => !have.has(id)), removed: listed.filter((id) => !kept.has(id)) };
}

export const isEmpty = (c: LibraryChange) => c.added.length === 0 && c.removed.length === 0;

/** The list with `removed` gone and `added` in (each once), oldest first like the stored list. */
export function applyToList(
  docs: readonly DocumentSummary[],
  added: readonly DocumentSummary[],
  removed: readonly string[],
): DocumentSummary[] {
  const drop = new Set([...removed, ...added.map((d) => d.id)]);
  return [...docs.filter((d) => !drop.has(d.id)), ...added].sort((a, b) => a.addedAt - b.addedAt);
}

/**
 * Applies another tab's change: the search worker reads the new rows itself, then the list changes and removed
 * documents leave the conversation. An added document that is gone again by now is treated as removed.
 */
export async function applyChange(change: LibraryChange, ports: SyncPorts): Promise<void> {
  if (isEmpty(change)) return;
  const stored = await ports.index(change);
  const found = new Set(stored.map((d) => d.id));
  const removed = [...change.removed, ...change.added.filter((id) => !found.has(id))];
  ports.setDocuments(applyToList(ports.documents(), stored, removed));
  for (const docId of removed) ports.forget(docId);
}
