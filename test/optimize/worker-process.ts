// Runs test/optimize/fixtures/study-worker.ts in a child process and follows its output lines,
// for the crash and multi-worker tests of the study store.

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const WORKER = new URL('./fixtures/study-worker.ts', import.meta.url).pathname;

export interface WorkerRun {
  child: ChildProcess;
  /** every stdout line so far */
  lines: string[];
  /** resolves with the first line matching `pattern` */
  waitFor(pattern: RegExp): Promise<string>;
  /** resolves with the exit code (or signal name) and all lines */
  exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    lines: string[];
    stderr: string;
  }>;
}

export function startWorker(args: Record<string, unknown>): WorkerRun {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(line)) w.resolve(line);
      else waiters.push(w);
    }
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    lines: string[];
    stderr: string;
  }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, lines, stderr })));
  return {
    child,
    lines,
    exited,
    waitFor: (pattern) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        exited.then(({ code, stderr: err }) =>
          reject(new Error(`worker exited (${code}) before ${pattern}: ${err}`)),
        );
      });
    },
  };
}
