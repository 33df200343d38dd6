// The built-in objectives on hand-made trial outputs (expected values counted by hand next to
// each assertion), and the profile's [[objectives]] tables: defaults, inference from the name,
// and one-line errors naming the file and the table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Engine } from '../../src/engine/engine.js';
import { RefusalMarkers } from '../../src/judge/markers.js';
import type { TrialOutputs } from '../../src/objectives/objective.js';
import { ObjectiveSession } from '../../src/objectives/session.js';
import { loadProfile } from '../../src/profile/profile.js';
import { assertBadProfile, profileFile } from '../helpers/profile.js';

/** a profile of only `text` and the description every profile needs */
const profileOf = (text: string): string => `description = "x"\n${text}`;

const responses = [
  "I'm sorry, I cannot help with that.",
  'The capital is Paris, a vibrant city.',
  'Paris. It lies on the Seine.',
  '',
];
const outputs: TrialOutputs = {
  responses: responses.map((text) => ({
    text,
    ids: [],
    refusal: new RefusalMarkers().isRefusal(text),
  })),
  kl: [0.1, 0.3],
  ablation: undefined,
};

test('built-ins score hand-counted values', async () => {
  const path = profileFile(
    profileOf(`
[[objectives]]
name = "refusals"
[[objectives]]
name = "kl"
[[objectives]]
name = "categories"
[[objectives]]
name = "keyword_rate:vibe"
words = ["Vibrant", "bustling"]
[[objectives]]
name = "recall"
kind = "fact_recall"
direction = "report"
`),
  );
  const session = await ObjectiveSession.load(loadProfile(path).objectives);
  assert.deepEqual(session.definitions, [
    { name: 'refusals', direction: 'minimize' },
    { name: 'kl', direction: 'minimize' },
    { name: 'categories', direction: 'minimize' },
    { name: 'keyword_rate:vibe', direction: 'minimize' },
    { name: 'recall', direction: 'report' },
  ]);
  assert.deepEqual(session.wholeResponseReaders, ['categories', 'keyword_rate:vibe', 'recall']);
  const facts = [
    { text: 'q1' },
    { text: 'q2', facts: ['Paris', 'on the Seine'] },
    { text: 'q3', facts: ['Paris', 'on the Seine'] },
    { text: 'q4' },
  ];
  await session.init({
    prompts: { behaviour: facts, baseline: [] },
    encoded: { behaviour: [], baseline: [] },
    engine: null as unknown as Engine,
    decode: () => '',
    markers: new RefusalMarkers(),
  });
  const values = await session.score(outputs);
  // refusals: "sorry" and the empty response → 2; KL mean (0.1 + 0.3) / 2 = 0.2;
  // categories: the hard refusal and the empty response → 2; "vibrant" in 1 of 4 → 0.25;
  // recall: prompt 2 recovers "Paris" only (1/2), prompt 3 both (2/2) → mean 0.75
  assert.deepEqual(values.slice(0, 2), [2, 0.2]);
  assert.deepEqual(values.slice(2), [2, 0.25, 0.75]);
});

test('a profile without [[objectives]] optimises refusals and kl', async () => {
  const session = await ObjectiveSession.load(loadProfile('censorship').objectives);
  assert.deepEqual(session.names, ['refusals', 'kl']);
  assert.deepEqual(session.wholeResponseReaders, [], 'early exit stays on');
});

test('bad [[objectives]] tables fail in one line naming the file and table', () => {
  const cases: [string, RegExp][] = [
    ['objectives = "refusals"\n', /mine\.toml: objectives must be a list of tables/],
    ['[[objectives]]\nname = "politeness"\n', /objectives\[1\]: unknown objective 'politeness'/],
    ['[[objectives]]\nname = "x"\nkind = "nope"\n', /unknown objective 'nope'/],
    ['[[objectives]]\nname = "kl"\ncolour = 1\n', /unknown key 'objectives\[1\]\.colour'/],
    ['[[objectives]]\nname = "kl"\ndirection = "up"\n', /objectives\[1\]\.direction 'up' is not/],
    ['[[objectives]]\nname = "keyword_rate:a"\n', /objectives\[1\] \(keyword_rate\) needs words/],
    [
      '[[objectives]]\nname = "kl"\n[[objectives]]\nname = "kl"\n',
      /objective 'kl' is listed twice/,
    ],
    ['[[objectives]]\nkind = "kl"\n', /objectives\[1\]\.name is missing/],
  ];
  for (const [text, error] of cases) assertBadProfile(profileOf(text), error);
});

test('all report-only objectives are refused', async () => {
  const path = profileFile(profileOf('[[objectives]]\nname = "kl"\ndirection = "report"\n'));
  await assert.rejects(ObjectiveSession.load(loadProfile(path).objectives), /all are report-only/);
});

test('the example module in examples/objectives loads and scores with its options', async () => {
  const profile = loadProfile('examples/objectives/length.toml');
  const session = await ObjectiveSession.load(profile.objectives);
  assert.deepEqual(session.definitions.at(-1), { name: 'answer_words', direction: 'maximize' });
  await session.init({
    prompts: { behaviour: [{ text: 'q' }], baseline: [] },
    encoded: { behaviour: [], baseline: [] },
    engine: null as unknown as Engine,
    decode: () => '',
    markers: new RefusalMarkers(),
  });
  // words per response: 7, 7, 6, 0; min_words = 3 keeps them all → 20 / 4 = 5
  assert.equal((await session.score(outputs)).at(-1), 5);
});
