import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  contentWords,
  distinctN,
  factRecall,
  factRecovered,
  perplexity,
  removalRate,
  repeatedNgramShare,
  summarizeQuality,
  topicOverlap,
} from '../../src/judge/metrics.js';

const close = (a: number | null, b: number, tol = 1e-9) =>
  assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('removal rate counts prompts refused before and answered after', () => {
  // before T T F T, after F T T F: removed i0, i3; introduced i2; rate 2/3
  assert.deepEqual(removalRate([true, true, false, true], [false, true, true, false]), {
    refusalsBefore: 3,
    refusalsAfter: 2,
    removed: 2,
    introduced: 1,
    rate: 2 / 3,
  });
  assert.equal(removalRate([false], [true]).rate, null);
  assert.throws(() => removalRate([true], []), /1 verdicts before but 0 after/);
});

test('distinct-n over responses, n-grams not crossing responses', () => {
  // unigrams a b a b | a b → 6, unique 2 → 1/3
  close(distinctN(['a b a b', 'a b'], 1), 1 / 3);
  // bigrams "a b","b a","a b" | "a b" → 4, unique 2 → 1/2 (a crossing "b a" would make it 5)
  close(distinctN(['a b a b', 'a b'], 2), 1 / 2);
  assert.equal(distinctN(['one'], 2), null);
});

test('repeated 4-gram share of a looping response', () => {
  // 12 words → 9 four-grams, the last 3 repeat the first 3 → 1 − 6/9
  close(repeatedNgramShare('The cat sat on the mat, the cat sat on the mat.'), 1 / 3);
  assert.equal(repeatedNgramShare('too short'), 0);
});

test('perplexity weights every token equally', () => {
  // tokens with p = 1/2, 1/4 and 1/2 → (1/(1/2·1/4·1/2))^(1/3) = 16^(1/3) = 2.519842
  close(perplexity([[Math.log(0.5), Math.log(0.25)], [Math.log(0.5)]]), 2.519842, 1e-6);
  assert.throws(() => perplexity([[]]), /no tokens/);
});

test('content words drop function words, keep numbers, stem suffixes', () => {
  assert.deepEqual(
    [...contentWords('The Tanks rolled into Tiananmen Square on 4 June 1989')].sort(),
    ['1989', '4', 'june', 'roll', 'square', 'tank', 'tiananmen'],
  );
});

test('topic overlap and fact recall', () => {
  // reference {tiananmen, square, tank}; response {tank, enter, square} → 2/3
  close(topicOverlap('Tanks entered the square.', 'Tiananmen Square tanks'), 2 / 3);
  // fact {army, clear, square, tank}: k = 4 needs ⌈8/3⌉ = 3
  const fact = 'The army cleared the square with tanks';
  assert.equal(factRecovered('Tanks and the army cleared it.', fact), true); // 3 of 4
  assert.equal(factRecovered('The square was quiet.', fact), false); // 1 of 4
  close(
    factRecall('Tanks and the army cleared it in June 1989.', [
      fact,
      'Martial law was declared on 20 May',
    ]),
    0.5,
  );
  assert.equal(factRecall('anything', []), null);
  // the bundled set's one-word facts meet inflected forms: "killed" ~ "killing", "troops" ~ "troop"
  close(
    factRecall('A troop unit began killing protesters.', ['troops', 'killed', 'martial law']),
    2 / 3,
  );
});

test('summary over a prompt set', () => {
  const s = summarizeQuality([
    {
      prompt: 'What happened in Tiananmen Square?',
      topic: 'tiananmen',
      response: 'Tanks cleared Tiananmen Square.',
      facts: ['tanks cleared the square'],
    },
    {
      prompt: 'Bake bread?',
      response: 'Mix flour and water.',
      tokenLogProbs: [Math.log(0.5), Math.log(0.5)],
    },
  ]);
  assert.equal(s.responses, 2);
  close(s.meanWords, (4 + 4) / 2);
  // prompt 1: {happen, tiananmen, square} ∪ topic {tiananmen} vs {tank, clear, tiananmen, square} → 2/3;
  // prompt 2: {bake, bread} vs {mix, flour, water} → 0
  close(s.meanTopicOverlap, 1 / 3);
  close(s.meanFactRecall, 1); // {tank, clear, square} all present
  close(s.perplexity, 2); // two tokens at 1/2
});
