// The shipped task definitions on small local copies in the Hub layout: the prompts, choices and
// gold answers they build equal the strings lm-evaluation-harness builds (written out by hand
// here from its task YAMLs and utils), few-shot draws are seeded and never show a row itself.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { loadSplit } from '../../src/benchmark/documents.js';
import { choiceItem, fewshotPrefix, generationItem } from '../../src/benchmark/requests.js';
import { loadTask, type TaskDefinition } from '../../src/benchmark/task.js';

const DATA = resolve('test/benchmark/fixtures/data');

/** a shipped definition reading the local copy of its dataset */
async function shipped(name: string, folder: string): Promise<TaskDefinition> {
  const def = await loadTask(name);
  def.dataset.id = resolve(DATA, folder);
  return def;
}

async function firstItems(def: TaskDefinition, shots: number, seed = 1234) {
  const rows = await loadSplit(def, def.dataset.split);
  const shotRows = shots > 0 && def.fewshot.split ? await loadSplit(def, def.fewshot.split) : rows;
  const source = { rows: shotRows, sameSplit: !def.fewshot.split };
  return rows.map((row, i) =>
    choiceItem(def, row, fewshotPrefix(def, row, i, shots, source, seed), `row ${i}`),
  );
}

test('arc_easy: "Question: …\\nAnswer:" then " choice"; gold from answerKey among the labels', async () => {
  const items = await firstItems(await shipped('arc_easy', 'ai2_arc'), 0);
  assert.equal(items.length, 4, 'the ARC-Easy folder only');
  assert.deepEqual(items[0].pairs[1], {
    context: 'Question: Which gas do plants take in from the air?\nAnswer:',
    continuation: ' carbon dioxide',
  });
  assert.deepEqual(
    items.map((it) => it.gold),
    [1, 0, 1, 1],
  );
  const challenge = await firstItems(await shipped('arc_challenge', 'ai2_arc'), 0);
  assert.equal(challenge.length, 1, 'the ARC-Challenge folder only');
});

test('mmlu: subject description, lettered choices, first dev shots of the same subject', async () => {
  const items = await firstItems(await shipped('mmlu', 'mmlu'), 1);
  const math =
    'The following are multiple choice questions (with answers) about elementary mathematics.\n\n' +
    'What is 1 + 1?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: B\n\n' +
    'What is 2 + 2?\nA. 3\nB. 4\nC. 5\nD. 22\nAnswer:';
  assert.deepEqual(
    items[0].pairs,
    [' A', ' B', ' C', ' D'].map((c) => ({ context: math, continuation: c })),
  );
  assert.equal(items[0].gold, 1);
  assert.match(
    items[1].pairs[0].context,
    /about astronomy\.\n\nWhat is the closest star\?[\s\S]*Answer: C\n\nWhich planet/,
  );
});

test('hellaswag: the harness preprocess (strip, [title] → ". ", brackets dropped, double spaces)', async () => {
  const items = await firstItems(await shipped('hellaswag', 'hellaswag'), 0);
  assert.equal(
    items[0].pairs[3].context,
    'Removing ice from car: Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles. Then',
  );
  assert.equal(
    items[0].pairs[3].continuation,
    ' , the man continues removing the snow on his car.',
  );
  assert.equal(items[0].gold, 3);
  assert.equal(
    items[1].pairs[0].context,
    'Home and Garden: How to grow tomatoes. Pick a sunny spot.',
  );
  assert.deepEqual(items[1].choices.slice(0, 3), [
    ' Tomatoes need six hours of sun.',
    'They sing.',
    ' Water them daily. Keep the soil moist.',
  ]);
});

test('winogrande: the option completes the context, the rest of the sentence is the continuation', async () => {
  const items = await firstItems(await shipped('winogrande', 'winogrande'), 0);
  assert.deepEqual(items[0].pairs, [
    {
      context: 'The trophy did not fit in the suitcase because the trophy',
      continuation: ' was too big.',
    },
    {
      context: 'The trophy did not fit in the suitcase because the suitcase',
      continuation: ' was too big.',
    },
  ]);
  assert.deepEqual(
    items.map((it) => it.gold),
    [0, 0, 1],
  );
  // a shot shows the gold context and its continuation
  const shot = (await firstItems(await shipped('winogrande', 'winogrande'), 1))[0].pairs[0].context;
  assert.match(
    shot,
    /^(Sarah lent Maria a book because Sarah had finished reading it\.|The cat chased the mouse until the mouse hid in a hole\.)\n\nThe trophy/,
  );
});

test('gsm8k: "Question: …\\nAnswer:" prompts, full solutions as shot targets, 5 shots by default', async () => {
  const def = await shipped('gsm8k', 'gsm8k');
  assert.equal(def.fewshot.count, 5);
  const rows = await loadSplit(def, 'test');
  const shots = await loadSplit(def, 'train');
  const item = generationItem(
    def,
    rows[0],
    fewshotPrefix(def, rows[0], 0, 1, { rows: shots, sameSplit: false }, 1),
    'row 0',
  );
  assert.match(
    item.prompt,
    /^Question: (Ann|A car)[^\n]*\nAnswer: [\s\S]*#### [\d,]+\n\nQuestion: Tom has 3 apples and buys 4 more\. How many apples does he have\?\nAnswer:$/,
  );
  assert.equal(item.reference, 'Tom has 3 + 4 = <<3+4=7>>7 apples.\n#### 7');
});

test('few-shot draws: fixed by (seed, row), never the row itself, too few rows is an error', async () => {
  const def = await loadTask('test/benchmark/fixtures/plain.jsonl');
  const rows = await loadSplit(def, 'test');
  const source = { rows, sameSplit: true };
  const prefix = (i: number, seed: number) => fewshotPrefix(def, rows[i], i, 2, source, seed);
  assert.equal(prefix(0, 7), prefix(0, 7));
  for (let i = 0; i < rows.length; i++) {
    for (const seed of [1, 2, 3, 1234]) {
      assert.ok(!prefix(i, seed).includes(rows[i].question as string), `row ${i} seed ${seed}`);
    }
  }
  assert.throws(
    () => fewshotPrefix(def, rows[0], 0, 3, source, 1),
    /3 shots asked, but the few-shot split has 2 rows; lower --shots/,
  );
});

test('definition errors name the file and the fix', async () => {
  await assert.rejects(
    loadTask('no_such_task'),
    /task "no_such_task": no such definition .*name a shipped task/,
  );
  const { parseTaskDefinition } = await import('../../src/benchmark/task.js');
  assert.throws(
    () =>
      parseTaskDefinition(
        { name: 'x', kind: 'multiple_choice', dataset: { id: 'a/b', split: 'test' }, text: 't' },
        'x.json',
        '.',
      ),
    /x\.json: "choices" is missing; add a list template or a list of templates/,
  );
  const def = await loadTask('test/benchmark/fixtures/plain.jsonl');
  def.text = '{{nope}}';
  const rows = await loadSplit(def, 'test');
  assert.throws(
    () => choiceItem(def, rows[0], '', 'plain.jsonl row 1'),
    /plain\.jsonl row 1: the row has no "nope" \(its columns: question, choices, answer\); fix the template/,
  );
});
