// `candor generate` end to end in a child process on fixture models: chat-templated prompts from
// --prompt, .txt and .jsonl files, greedy responses equal to the decoded golden continuations,
// JSON lines on stdout, progress on stderr, one-line errors.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { candor } from '../helpers/cli.js';

interface GoldenCase {
  name: string;
  messages: { role: string; content: string }[];
  greedy: number[];
  greedy_stop: 'eos' | 'max_new_tokens' | 'margin';
}

/** single-user-message cases whose whole golden continuation is reliable, with its text */
async function expectations(arch: string) {
  const dir = `test/fixtures/models/${arch}`;
  const golden = JSON.parse(readFileSync(`${dir}/golden.json`, 'utf8'));
  const tokenizer = await loadTokenizer(dir);
  const cases = (golden.cases as GoldenCase[]).filter(
    (c) => c.messages.length === 1 && c.messages[0].role === 'user' && c.greedy_stop !== 'margin',
  );
  assert.ok(cases.length >= 2, `${arch}: fewer than two usable golden cases`);
  return {
    dir,
    maxNewTokens: String(golden.max_new_tokens),
    cases: cases.map((c) => {
      const ids = c.greedy_stop === 'eos' ? c.greedy.slice(0, -1) : c.greedy;
      return {
        prompt: c.messages[0].content,
        response: tokenizer.decode(ids, { skipSpecialTokens: true }),
      };
    }),
  };
}

test('--prompt: the greedy response as one JSON line, progress on stderr', async () => {
  const { dir, maxNewTokens, cases } = await expectations('llama');
  const r = candor([
    'generate',
    dir,
    '--prompt',
    cases[0].prompt,
    '--max-new-tokens',
    maxNewTokens,
    '--backend',
    'cpu',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line)),
    [cases[0]],
  );
  assert.match(r.stderr, /backend: CPU/);
  assert.match(r.stderr, /tokens\/s/);
});

test('--prompts FILE.jsonl and FILE.txt: one response per prompt, in order, in batches', async () => {
  const { dir, maxNewTokens, cases } = await expectations('qwen2');
  const tmp = mkdtempSync(join(tmpdir(), 'candor-generate-'));
  const jsonl = join(tmp, 'prompts.jsonl');
  writeFileSync(jsonl, cases.map((c) => JSON.stringify({ prompt: c.prompt, id: 1 })).join('\n'));
  const txt = join(tmp, 'prompts.txt');
  writeFileSync(txt, `${cases.map((c) => c.prompt).join('\n\n')}\n`);
  for (const file of [jsonl, txt]) {
    const args = [
      'generate',
      dir,
      '--prompts',
      file,
      '--max-new-tokens',
      maxNewTokens,
      '--backend',
      'cpu',
      '--json',
      '--batch-size',
      '1',
    ];
    const r = candor(args);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
      cases,
      file,
    );
  }
});

test('usage errors are one line naming the fix', async () => {
  const model = 'test/fixtures/models/llama';
  await assert.rejects(
    main(['generate', model, '--prompt', 'a', '--prompts', 'b.txt', '--backend', 'cpu']),
    /^Error: candor generate: give exactly one of --prompt TEXT or --prompts FILE$/,
  );
  const bad = join(mkdtempSync(join(tmpdir(), 'candor-generate-')), 'bad.jsonl');
  writeFileSync(bad, '{"prompt": "fine"}\n{"text": "no prompt field"}\n');
  await assert.rejects(
    main(['generate', model, '--prompts', bad, '--backend', 'cpu']),
    /bad\.jsonl line 2: no string field "prompt"$/,
  );
  await assert.rejects(
    main(['generate', 'no/such/folder', '--prompt', 'a', '--backend', 'cpu']),
    /model no\/such\/folder: not a local folder/,
  );
});
