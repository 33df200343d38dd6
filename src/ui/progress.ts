// Progress on stderr: the current stage, and during the search trial i/N with ETA, the last
// trial's objectives and the best so far. Redraws one line on a terminal, prints lines otherwise.

import pc from 'picocolors';

export interface TrialReport {
  number: number;
  values: Record<string, number>;
  seconds: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatValues(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(', ');
}

export class Progress {
  private readonly tty: boolean;
  private lineOpen = false;
  private readonly started = Date.now();

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = out.isTTY === true;
  }

  stage(text: string): void {
    this.endLine();
    this.out.write(`${pc.bold(pc.cyan('▸'))} ${text}\n`);
  }

  info(text: string): void {
    this.endLine();
    this.out.write(`  ${text}\n`);
  }

  /** One finished trial of `total`, `done` finished in this process so far (for the ETA). */
  trial(
    report: TrialReport,
    completed: number,
    total: number,
    best: TrialReport | null,
    secondsPerTrial: number,
  ): void {
    const eta = formatDuration((total - completed) * secondsPerTrial);
    const text =
      `trial ${completed}/${total} · #${report.number}: ${formatValues(report.values)} ` +
      `(${report.seconds.toFixed(1)}s) · best #${best?.number ?? '-'}: ${best ? formatValues(best.values) : '-'} · ETA ${eta}`;
    if (this.tty) {
      this.out.write(`\r\x1b[2K  ${text}`);
      this.lineOpen = true;
    } else {
      this.out.write(`  ${text}\n`);
    }
  }

  done(text: string): void {
    this.endLine();
    this.out.write(
      `${pc.green('✓')} ${text} (${formatDuration((Date.now() - this.started) / 1000)} in all)\n`,
    );
  }

  private endLine(): void {
    if (this.lineOpen) this.out.write('\n');
    this.lineOpen = false;
  }
}
