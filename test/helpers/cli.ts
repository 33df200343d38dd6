// The candor CLI in a child process for the end-to-end tests (the entry script through tsx, not
// `node -e`: node would take a first argument `inspect` as its debugger), and the short
// unattended run on the llama fixture that several of them start from.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';

const ENTRY = 'src/cli/entry.ts';

/** `candor ARGV` to its end: exit code and both streams. */
export function candor(argv: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...argv], {
    encoding: 'utf8',
    ...opts,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `candor ARGV` to its end without blocking this process (for tests that serve it over HTTP). */
export async function candorAsync(argv: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...argv], { env: opts.env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { code, stdout, stderr };
}

/** `candor ARGV` running, for tests that read its output as it comes or interrupt it. */
export function candorProcess(argv: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', ENTRY, ...argv]);
}

/**
 * The exit code once the process and its pipes have closed; a process that could not start
 * rejects (waiting on 'exit' alone would leave the test pending with nothing to wake it).
 * Output nobody listens to is drained, so the pipes can close.
 */
export function exitCode(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  child.stdout.resume();
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

/** Small slices of the bundled prompt sets: enough for a run, quick on the fixture. */
const FIXTURE_PROMPTS = [
  '--harmful-prompts=censored-topics:train[:8]',
  '--harmless-prompts=harmless:train[:8]',
  '--harmful-eval=censored-topics:eval[:6]',
  '--harmless-eval=harmless:eval[:6]',
];

/** `candor run` on the llama fixture, unattended on the CPU, seed 3, saving to `output`. */
export function fixtureRunArgs(
  output: string,
  trials: number,
  opts: { startupTrials?: number; extra?: string[] } = {},
): string[] {
  return [
    'run',
    'test/fixtures/models/llama',
    `--trials=${trials}`,
    `--startup-trials=${opts.startupTrials ?? 2}`,
    '--yes',
    '--backend=cpu',
    '--batch-size=8',
    '--max-response-tokens=6',
    ...FIXTURE_PROMPTS,
    '--seed=3',
    `--output=${output}`,
    ...(opts.extra ?? []),
  ];
}
