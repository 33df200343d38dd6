// Download progress on stderr: one redrawn line on a terminal (percent, bytes, rate, file),
// a line per finished file otherwise, nothing when disabled.

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export class DownloadProgress {
  private done = 0;
  /** bytes already on disk before this run: done, but not part of the rate */
  private resumed = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream | null = process.stderr,
  ) {
    this.tty = out?.isTTY === true;
  }

  resume(bytes: number): void {
    this.done += bytes;
    this.resumed += bytes;
  }

  advance(bytes: number, file: string): void {
    this.done += bytes;
    const now = Date.now();
    if (this.tty && now - this.lastDraw >= 100) {
      this.lastDraw = now;
      this.draw(file);
    }
  }

  fileDone(file: string, bytes: number): void {
    if (this.out === null) return;
    if (this.tty) this.draw(file);
    else this.out.write(`  ${this.label}: ${file} (${formatBytes(bytes)})\n`);
  }

  finish(): void {
    if (this.out === null) return;
    if (this.tty) this.out.write('\n');
  }

  private draw(file: string): void {
    if (this.out === null) return;
    const pct = this.total > 0 ? Math.floor((100 * this.done) / this.total) : 100;
    const seconds = Math.max((Date.now() - this.started) / 1000, 1e-3);
    const rate = (this.done - this.resumed) / seconds;
    this.out.write(
      `\r\x1b[2K  ${this.label}: ${pct}% ${formatBytes(this.done)}/${formatBytes(this.total)} ${formatBytes(rate)}/s ${file}`,
    );
  }
}
