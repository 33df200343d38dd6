import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BUNDLED_PROMPTS_DIR, loadPrompts, parsePromptSetSpec } from '../../src/data/prompts.js';
import { LocalHub } from '../hub/local-hub.js';

const dir = mkdtempSync(join(tmpdir(), 'candor-prompts-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

const C1 = 'a'.repeat(40);
const hub = new LocalHub([
  {
    type: 'dataset',
    id: 'acme/behaviors',
    refs: { main: C1 },
    commits: {
      [C1]: {
        'data/train-00000-of-00001.csv': {
          content: Buffer.from('text,target\nfirst,x\nsecond,y\nthird,z\n'),
        },
        'data/test-00000-of-00001.csv': { content: Buffer.from('text,target\nheld out,x\n') },
      },
    },
  },
]);
before(() => hub.start());
after(() => hub.stop());

test('spec strings: source, split with slice, column', () => {
  assert.deepEqual(parsePromptSetSpec('mlabonne/harmful_behaviors:train[:400]:text'), {
    source: 'mlabonne/harmful_behaviors',
    split: 'train[:400]',
    column: 'text',
  });
  assert.deepEqual(parsePromptSetSpec('censored-topics:eval'), {
    source: 'censored-topics',
    split: 'eval',
  });
  const csv = file('q.csv', 'question\nwhy?\n');
  assert.deepEqual(parsePromptSetSpec(`${csv}::question`), { source: csv, column: 'question' });
  // a local path containing ':' is found on disk whole
  const odd = file('a:b.txt', 'one\n');
  assert.deepEqual(parsePromptSetSpec(`${odd}:[:1]`), { source: odd, split: '[:1]' });
  assert.throws(() => parsePromptSetSpec('x:a:b:c'), /expected SOURCE\[:SPLIT\]\[:COLUMN\]/);
});

test('text files: one trimmed prompt a line, blank lines skipped, optional slice', async () => {
  const txt = file('p.txt', '  first \n\nsecond\r\nthird\n');
  assert.deepEqual(await loadPrompts(txt), [
    { text: 'first' },
    { text: 'second' },
    { text: 'third' },
  ]);
  assert.deepEqual(await loadPrompts(`${txt}:[1:]`), [{ text: 'second' }, { text: 'third' }]);
  await assert.rejects(loadPrompts(`${txt}:train[:1]`), /a file has no splits; give only a slice/);
});

test('jsonl keeps topic and facts; the field is configurable', async () => {
  const jsonl = file(
    'p.jsonl',
    '{"prompt":"What happened?","topic":"tiananmen","facts":["troops"]}\n{"prompt":"Why?","question":"Q2"}\n',
  );
  assert.deepEqual(await loadPrompts(jsonl), [
    { text: 'What happened?', topic: 'tiananmen', facts: ['troops'] },
    { text: 'Why?' },
  ]);
  await assert.rejects(
    loadPrompts(`${jsonl}::question`),
    /p\.jsonl: no column "question" \(it has: prompt, topic, facts\)/,
  );
});

test('csv by column; prefix and suffix joined by a space', async () => {
  const csv = file('p.csv', 'id,question\n1,"Is it safe, really?"\n2,Why\n');
  assert.deepEqual(
    await loadPrompts({
      source: csv,
      column: 'question',
      prefix: 'Answer briefly:',
      suffix: 'Thanks.',
    }),
    [
      { text: 'Answer briefly: Is it safe, really? Thanks.' },
      { text: 'Answer briefly: Why Thanks.' },
    ],
  );
});

test('parquet, snappy and gzip, with list and null columns', async () => {
  for (const name of ['prompts.snappy.parquet', 'prompts.gzip.parquet']) {
    assert.deepEqual(await loadPrompts(`${fixture(name)}::text`), [
      { text: 'How do tanks work?', topic: 'machines', facts: ['tracks'] },
      { text: 'What happened in 1989?', topic: 'tiananmen', facts: ['students', 'troops'] },
      { text: 'Name a river.', facts: [] },
    ]);
  }
  await assert.rejects(
    loadPrompts(fixture('prompts.snappy.parquet')),
    /no column "prompt" \(it has: text, topic, facts, label\)/,
  );
});

test('bundled sets by name and split', async () => {
  const reference = readFileSync(
    join(BUNDLED_PROMPTS_DIR, 'censored-topics', 'train.jsonl'),
    'utf8',
  )
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 2)
    .map((l) => JSON.parse(l) as { prompt: string });
  const prompts = await loadPrompts('censored-topics:train[:2]');
  assert.deepEqual(
    prompts.map((p) => p.text),
    reference.map((r) => r.prompt),
  );
  await assert.rejects(loadPrompts('censored-topics:dev'), /no split "dev"; bundled splits are/);
  await assert.rejects(loadPrompts('harmless'), /name a split/);
  await assert.rejects(loadPrompts('data/missing.jsonl'), /"data\/missing\.jsonl": no such file/);
  await assert.rejects(
    loadPrompts('no-such-set:train'),
    /not a file or folder, a bundled set \(.*harmless.*\) or a Hub dataset id/,
  );
});

test('a local folder laid out like a dataset repo', async () => {
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'data'), { recursive: true });
  writeFileSync(join(repo, 'data', 'train-0.jsonl'), '{"prompt":"t"}\n');
  writeFileSync(join(repo, 'data', 'test-0.jsonl'), '{"prompt":"e"}\n');
  assert.deepEqual(await loadPrompts(`${repo}:test`), [{ text: 'e' }]);
});

test('a Hub dataset by id, split slice and column, through the cache', async () => {
  const hubOpts = {
    endpoint: hub.endpoint,
    cacheDir: mkdtempSync(join(tmpdir(), 'candor-hub-')),
    progress: false,
  };
  assert.deepEqual(await loadPrompts('acme/behaviors:train[1:]:text', hubOpts), [
    { text: 'second' },
    { text: 'third' },
  ]);
  assert.deepEqual(await loadPrompts('acme/behaviors:train[:1]+test:text', hubOpts), [
    { text: 'first' },
    { text: 'held out' },
  ]);
  assert.deepEqual(
    await loadPrompts(`acme/behaviors@${C1}:test:text`, { ...hubOpts, offline: true }),
    [{ text: 'held out' }],
  );
});
