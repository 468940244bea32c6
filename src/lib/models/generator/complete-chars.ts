// Holds back streamed text that ends in an incomplete UTF-8 sequence, so no broken character is ever shown.

const REPLACEMENT = '\uFFFD';

/**
 * Byte-level BPE models emit multi-byte characters (emoji, CJK, accents) over several tokens; decoding a prefix
 * yields U+FFFD for the unfinished bytes. transformers.js's TextStreamer already holds text back to the last space,
 * newline or CJK character mid-stream, but flushes everything at the end, so a generation cut by its token limit
 * mid-character would show U+FFFD. `push` passes text through up to a trailing run of U+FFFD, which it delays until
 * more text follows; `end` drops that run (a cut mid-character).
 */
export class CompleteChars {
  private pending = '';

  push(piece: string): string {
    const text = this.pending + piece;
    let cut = text.length;
    while (cut > 0 && text[cut - 1] === REPLACEMENT) cut--;
    this.pending = text.slice(cut);
    return text.slice(0, cut);
  }

  /** What was held back at the end of the stream: never a complete character, so it is dropped. */
  end(): string {
    const dropped = this.pending;
    this.pending = '';
    return dropped;
  }
}
