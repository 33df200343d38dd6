import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  closedChainOfThought,
  commonResponsePrefix,
  findResponsePrefix,
} from '../../src/judge/prefix.js';

test('common prefix drops trailing spaces but keeps newlines', () => {
  // "Sure, here is" / "Sure, here are" share "Sure, here " → trailing space removed
  assert.equal(commonResponsePrefix(['Sure, here is', 'Sure, here are']), 'Sure, here');
  assert.equal(commonResponsePrefix(['<think>\nA', '<think>\nB']), '<think>\n');
  assert.equal(commonResponsePrefix(['abc', 'xyz']), '');
  assert.equal(commonResponsePrefix(['same']), 'same');
  assert.equal(commonResponsePrefix([]), '');
  // 😀 (d83d de00) and 😁 (d83d de01) share only a high surrogate: not a character, dropped
  assert.equal(commonResponsePrefix(['😀a', '😁b']), '');
});

test('chain-of-thought openers map to closed blocks', () => {
  assert.equal(closedChainOfThought('<think>\nLet me')?.closed, '<think></think>');
  assert.equal(
    closedChainOfThought('<|channel|>analysis<|message|>We')?.closed,
    '<|channel|>analysis<|message|><|end|><|start|>assistant<|channel|>final<|message|>',
  );
  assert.equal(closedChainOfThought('[THINK]x')?.closed, '[THINK][/THINK]');
  assert.equal(closedChainOfThought('Sure'), null);
});

test("Heretic's procedure: close the thought block, then extend by the answer's own common start", async () => {
  const calls: string[] = [];
  const result = await findResponsePrefix(async (prefix) => {
    calls.push(prefix);
    return prefix === '' ? ['<think>\nThe user', '<think>\nHmm'] : ['\n\nYes, ', '\n\nNo'];
  });
  assert.deepEqual(calls, ['', '<think></think>']);
  assert.equal(result.prefix, '<think></think>\n\n');
  assert.equal(result.closedChainOfThought?.opener, '<think>');
});

test('a plain common prefix needs one generation', async () => {
  const calls: string[] = [];
  const result = await findResponsePrefix(async (prefix) => {
    calls.push(prefix);
    return ['Sure, here is', 'Sure, here are'];
  });
  assert.deepEqual(calls, ['']);
  assert.deepEqual(result, { prefix: 'Sure, here', closedChainOfThought: null });
});
