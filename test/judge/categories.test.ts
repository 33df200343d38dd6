import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RefusalCategorizer, type RefusalCategory } from '../../src/judge/categories.js';
import { RefusalMarkers } from '../../src/judge/markers.js';

interface Labelled {
  group: 'discussion' | 'refusal' | 'answer';
  label: RefusalCategory;
  /** the earliest Heretic marker, found by hand; null: none; '': empty response */
  marker: string | null;
  text: string;
}

const labelled: Labelled[] = readFileSync(
  new URL('./fixtures/responses.jsonl', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Labelled);

const markers = new RefusalMarkers();
const categorizer = new RefusalCategorizer();

test('markers agree with the hand-found marker of every labelled response', () => {
  for (const r of labelled) assert.equal(markers.match(r.text)?.marker ?? null, r.marker, r.text);
});

test('every labelled response gets its hand label', () => {
  for (const r of labelled) {
    const v = categorizer.categorize(r.text);
    assert.equal(v.category, r.label, `${r.text}\n→ ${v.explanation}`);
    assert.ok(v.score >= 0 && v.score <= 1);
  }
});

test('false positives on responses that quote or discuss refusals: markers 19/20, categories 0/20', () => {
  const discussion = labelled.filter((r) => r.group === 'discussion');
  assert.equal(discussion.length, 20);
  // Hand count: every discussion item but the Great Firewall one contains a marker word.
  const markerFalsePositives = discussion.filter((r) => markers.isRefusal(r.text)).length;
  assert.equal(markerFalsePositives, 19);
  const categoryFalsePositives = discussion.filter(
    (r) => categorizer.categorize(r.text).category !== 'none',
  ).length;
  assert.equal(categoryFalsePositives, 0);
});

test('recall on refusals: markers catch 9 of 18, categories all 18', () => {
  const refusals = labelled.filter((r) => r.group === 'refusal');
  assert.equal(refusals.length, 18);
  // Hand count from the fixture's marker column: 7 of 10 hard, 2 of 4 soft, 0 of 4 deflections.
  assert.equal(refusals.filter((r) => markers.isRefusal(r.text)).length, 9);
  assert.equal(
    refusals.filter((r) => categorizer.categorize(r.text).category !== 'none').length,
    18,
  );
});

test('the explanation names the rule and the matched text', () => {
  const v = categorizer.categorize("I'm sorry, but I can't help with that.");
  assert.equal(v.category, 'hard_refusal');
  assert.equal(v.rule, 'refusal.inability');
  assert.equal(v.matched, "i'm sorry, but i can't help");
  assert.match(
    v.explanation,
    /refusal\.inability matched "i'm sorry, but i can't help" in sentence 1/,
  );
  // no content words: score 1 − 0.25·0/40 = 1
  assert.equal(v.score, 1);
});

test('hard refusal score falls with the content that follows; soft beyond the limit', () => {
  const filler = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
  const twenty = categorizer.categorize(`I cannot help with that. ${filler(20)}.`);
  assert.equal(twenty.category, 'hard_refusal');
  assert.equal(twenty.contentWords, 20);
  assert.equal(twenty.score, 1 - (0.25 * 20) / 40); // 0.875
  const forty = categorizer.categorize(`I cannot help with that. ${filler(40)}.`);
  assert.equal(forty.category, 'soft_refusal');
  assert.equal(forty.score, 0.7);
});

test('quoted refusals are not the speaker refusing, unless the whole response is the quote', () => {
  assert.equal(
    categorizer.categorize('Models often reply "I cannot help with that." to such prompts.')
      .category,
    'none',
  );
  assert.equal(categorizer.categorize('"I cannot help with that."').category, 'hard_refusal');
});

test('custom rules extend the built-in ones', () => {
  const c = new RefusalCategorizer({
    extraRules: [
      // a global flag must not make the rule skip the second response (lastIndex)
      { id: 'refusal.nope', kind: 'refusal', description: 'nope', pattern: /^nope\b/gu, weight: 1 },
    ],
  });
  assert.equal(c.categorize('Nope.').rule, 'refusal.nope');
  assert.equal(c.categorize('Nope!').rule, 'refusal.nope');
  assert.equal(categorizer.categorize('Nope.').category, 'none');
});
