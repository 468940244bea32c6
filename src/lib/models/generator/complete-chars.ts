// Holds back streamed text that ends in an incomplete UTF-8 sequence, so no broken character is ever shown.

const REPLACEMENT = '\uFFFD';

/**
 * Byte-level BPE models emit multi-byte characters (emoji, CJK, accents) over several tokens; decoding a prefix
 * yields U+FFFD for the unfinished bytes. `push` returns only text up to the last complete character and keeps a
 * trailing run of U+FFFD until the next piece completes it; `end` drops what never completed (a cut mid-character).
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
