// Which import-queue rows the UI draws: all of a short queue; of a long one, the unfinished and failed rows up to a limit.

/** Rows drawn before a queue is summarized: 10,000 dropped files must not mean 10,000 progress rows. */
export const QUEUE_ROWS = 200;

export interface QueueView<T> {
  /** The rows to draw, in queue order. */
  shown: T[];
  /** Files added that are counted, not drawn (only in a queue longer than the limit). */
  added: number;
  /** Files still waiting that are counted, not drawn. */
  waiting: number;
  /** Other rows past the limit (failed, cancelled, kept), counted, not drawn. */
  others: number;
}

/**
 * A queue of at most `limit` rows is drawn whole. A longer one draws its rows that need the user's eyes first (the
 * file being imported, questions, failures) and waiting files after them, in queue order, up to `limit`; files added
 * become a count. One pass, no sorting.
 */
export function queueView<T extends { stage: string }>(queue: readonly T[], limit = QUEUE_ROWS): QueueView<T> {
  if (queue.length <= limit) return { shown: [...queue], added: 0, waiting: 0, others: 0 };
  const view: QueueView<T> = { shown: [], added: 0, waiting: 0, others: 0 };
  // Rows other than added and waiting files claim the room first (few, usually: one importing, the failures).
  let needsEyes = 0;
  for (const item of queue) if (item.stage !== 'done' && item.stage !== 'waiting') needsEyes++;
  let otherRoom = Math.min(needsEyes, limit);
  let waitingRoom = limit - otherRoom;
  for (const item of queue) {
    if (item.stage === 'done') view.added++;
    else if (item.stage === 'waiting') {
      if (waitingRoom > 0) {
        view.shown.push(item);
        waitingRoom--;
      } else view.waiting++;
    } else if (otherRoom > 0) {
      view.shown.push(item);
      otherRoom--;
    } else view.others++;
  }
  return view;
}

/** The user's number format; one instance (a toLocaleString call builds one each time: slow per progress message). */
const numbers = new Intl.NumberFormat();

/** The line under a summarized queue, e.g. "9,700 files added and 100 more waiting are not listed." */
export function describeHiddenRows(view: QueueView<unknown>): string | null {
  const parts = [
    view.added ? `${numbers.format(view.added)} ${view.added === 1 ? 'file' : 'files'} added` : '',
    view.waiting ? `${numbers.format(view.waiting)} more waiting` : '',
    view.others ? `${numbers.format(view.others)} more finished` : '',
  ].filter(Boolean);
  return parts.length ? `${parts.join(', ')}: not listed.` : null;
}
