// The interactive flow in a real terminal (tmux): after the search the Pareto menu appears; the
// user picks a trial, saves it to the suggested folder, goes back and quits.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

async function waitFor(session: string, pattern: RegExp, seconds = 120): Promise<string> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const screen = tmux('capture-pane', '-p', '-t', session, '-S', '-200');
    if (pattern.test(screen)) return screen;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${pattern}; screen:\n${screen}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('pick a trial from the menu, save it, go back, quit', {
  skip: !hasTmux && 'tmux is not installed',
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-tty-'));
  const output = join(dir, 'out');
  const session = `candor-${process.pid}`;
  const command = [
    process.execPath,
    '--import',
    'tsx',
    'src/cli/entry.ts',
    'run',
    'test/fixtures/models/llama',
    '--trials=3',
    '--startup-trials=2',
    '--backend=cpu',
    '--batch-size=8',
    '--max-response-tokens=6',
    "'--harmful-prompts=censored-topics:train[:8]'",
    "'--harmless-prompts=harmless:train[:8]'",
    "'--harmful-eval=censored-topics:eval[:6]'",
    "'--harmless-eval=harmless:eval[:6]'",
    `--output=${output}`,
  ].join(' ');
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '160',
    '-y',
    '50',
    `cd ${process.cwd()} && ${command}; echo EXIT=$?; sleep 60`,
  );
  try {
    await waitFor(session, /Which trial\?/);
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor(session, /what now\?/);
    tmux('send-keys', '-t', session, 'Enter'); // save
    await waitFor(session, /Folder/);
    tmux('send-keys', '-t', session, 'Enter'); // the suggested folder
    await waitFor(session, /model saved in/);
    assert.ok(existsSync(join(output, 'config.json')), 'the chosen trial is saved');
    await waitFor(session, /model saved in[\s\S]*what now\?/);
    for (let i = 0; i < 4; i++) tmux('send-keys', '-t', session, 'Down');
    tmux('send-keys', '-t', session, 'Enter'); // pick another trial
    await waitFor(session, /model saved in[\s\S]*Which trial\?/);
    tmux('send-keys', '-t', session, 'Down');
    tmux('send-keys', '-t', session, 'Enter'); // quit
    const screen = await waitFor(session, /EXIT=\d+/);
    assert.match(screen, /EXIT=0/);
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
  }
});
