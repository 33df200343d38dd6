// `candor inspect` end to end on the llama fixture with a plan: the table on stdout marks the
// most separable state and has the edited columns; the folder holds inspect.json, table.txt, the
// separation chart and one PCA plot per hidden state for the original and the edited model.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planToJson } from '../../src/ablate/plan-io.js';
import { randomPlan } from '../export/plans.js';
import { candor } from '../helpers/cli.js';

test('inspect with a plan writes the table and the plots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-inspect-'));
  const planPath = join(dir, 'plan.json');
  writeFileSync(
    planPath,
    JSON.stringify(planToJson(randomPlan(3, 64, 'full', { seed: 4, weight: 1 }))),
  );
  const out = join(dir, 'out');
  const args = [
    'inspect',
    'test/fixtures/models/llama',
    '--output',
    out,
    '--plan',
    planPath,
    '--backend',
    'cpu',
  ];
  args.push(
    '--harmful',
    'test/inspect/fixtures/harmful.txt',
    '--harmless',
    'test/inspect/fixtures/harmless.txt',
  );
  const r = candor(args);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(
    lines[0],
    /state\s+\|g\|\s+\|b\|\s+cos\(g,b\)\s+fisher\s+silh\s+cos\(r,r-1\)\s+fisher edited\s+silh edited/,
  );
  assert.equal(lines.filter((l) => /^\s+\*\d+\s/.test(l)).length, 1, 'one state is marked');
  assert.deepEqual(readdirSync(out).sort(), [
    'inspect.json',
    'pca-00-edited.svg',
    'pca-00.svg',
    'pca-01-edited.svg',
    'pca-01.svg',
    'pca-02-edited.svg',
    'pca-02.svg',
    'pca-03-edited.svg',
    'pca-03.svg',
    'separation.svg',
    'table.txt',
  ]);
  assert.equal(readFileSync(join(out, 'table.txt'), 'utf8'), r.stdout);
  const json = JSON.parse(readFileSync(join(out, 'inspect.json'), 'utf8'));
  assert.equal(json.original.rows.length, 4);
  assert.equal(json.edited.rows.length, 4);
  assert.equal(json.original.projections[2][0].length, 6, 'six harmful points per state');
  const svg = readFileSync(join(out, 'pca-02.svg'), 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(svg.match(/class="harmful"/g)?.length, 6);
  assert.equal(svg.match(/class="harmless"/g)?.length, 6);
});
