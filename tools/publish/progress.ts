// Terminal progress for `lectern publish`: one rewritten status line on a TTY, one plain line per file elsewhere (CI logs).

interface Out {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export class Progress {
  private done_ = 0;
  private passages = 0;
  private path = '';
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly out: Out,
  ) {
    this.tty = out.isTTY === true;
  }

  private counter(): string {
    return `[${this.done_}/${this.total}]`;
  }

  private status(text: string): void {
    if (!this.tty) return;
    const width = Math.max(20, (this.out.columns || 100) - 1);
    const line = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    this.out.write(`\r\x1b[2K${line}`);
  }

  private line(text: string): void {
    if (this.tty) this.out.write('\r\x1b[2K');
    this.out.write(`${text}\n`);
  }

  start(path: string): void {
    this.path = path;
    this.status(`${this.counter()} ${path}: reading`);
  }

  stage(stage: string): void {
    this.status(`${this.counter()} ${this.path}: ${stage}`);
  }

  done(passages: number, cached: boolean, built: number, seconds: number): void {
    this.done_++;
    this.passages += passages;
    const rate = seconds > 0 ? `, ${(built / seconds).toFixed(1)} passages/s` : '';
    const text = `${this.counter()} ${this.path}: ${passages} passages${cached ? ' (cached)' : ''}; ${this.passages} in all${rate}`;
    // On a TTY only the status line moves; the finished files stay quiet unless something failed.
    if (this.tty) this.status(text);
    else this.line(text);
  }

  fail(why: string): void {
    this.done_++;
    this.line(`${this.counter()} ${this.path}: skipped, ${why}`);
  }

  finish(): void {
    if (this.tty) this.out.write('\n');
  }
}
