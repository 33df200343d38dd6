// `candor chat` through a pipe: the first reply is transformers' greedy continuation of the
// same conversation (golden), /reset forgets it, /quit ends the session.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { candor } from '../helpers/cli.js';

const FIXTURE = 'test/fixtures/models/llama';

test('chat replies with the greedy continuation, resets and quits', async () => {
  const golden = JSON.parse(readFileSync(`${FIXTURE}/golden.json`, 'utf8'));
  const short = golden.cases.find((c: { name: string }) => c.name === 'short');
  const tokenizer = await loadTokenizer(FIXTURE);
  const expected = tokenizer.decode(short.greedy, { skipSpecialTokens: true });
  const r = candor(['chat', FIXTURE, '--backend=cpu', '--system-prompt=', '--max-new-tokens=12'], {
    input: `${short.messages[0].content}\n/reset\n${short.messages[0].content}\n/quit\nnot read\n`,
  });
  assert.equal(r.code, 0, r.stderr);
  const replies = r.stdout.split('> ').slice(1);
  assert.equal(replies[0].trim(), expected.trim(), 'first reply = golden greedy continuation');
  assert.match(replies[1], /\(conversation reset\)/);
  assert.equal(
    replies[2].trim(),
    expected.trim(),
    'after /reset the same question gets the same reply',
  );
  assert.equal(replies.length, 4, 'nothing after /quit is read');
});
