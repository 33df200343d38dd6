// The task slice both sides of bench/benchmark-speed score: the fixture ARC questions with their
// choices, each question numbered so that rows stay distinct (no request is deduplicated away).
// bench/benchmark_speed.py builds the same pairs from bench/benchmark-slice.json (written here).

import { readFileSync, writeFileSync } from 'node:fs';

const ARC = 'test/benchmark/fixtures/data/ai2_arc/ARC-Easy/test-00000-of-00001.jsonl';

/** `items` (context, continuation) rows: "Question: (k) …\nAnswer:" and " choice". */
export function speedSlice(items: number): [string, string][] {
  const rows = readFileSync(ARC, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { question: string; choices: { text: string[] } });
  const pairs: [string, string][] = [];
  for (let k = 0; pairs.length < items; k++) {
    const row = rows[k % rows.length];
    for (const choice of row.choices.text) {
      if (pairs.length < items)
        pairs.push([`Question: (${k}) ${row.question}\nAnswer:`, ` ${choice}`]);
    }
  }
  writeFileSync('bench/benchmark-slice.json', `${JSON.stringify(pairs)}\n`);
  return pairs;
}
