// A study store shaped like a run's (objectives refusals and kl, one parameter) for the tests
// of the commands that only read a store, and trials finished in it by hand.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Study } from '../../src/optimize/study.js';

/** Study NAME in a fresh SQLite store `NAME.candor-study.sqlite` in a new temporary folder. */
export async function openRunLikeStudy(
  name: string,
  seed: number,
): Promise<{ study: Study; storage: string }> {
  const storage = join(mkdtempSync(join(tmpdir(), 'candor-study-')), `${name}.candor-study.sqlite`);
  const study = await Study.open({
    storage,
    name,
    objectives: [
      { name: 'refusals', direction: 'minimize' },
      { name: 'kl', direction: 'minimize' },
    ],
    space: { w: { kind: 'float', low: 0, high: 1 } },
    seed,
  });
  return { study, storage };
}

/** Asks for the next trial and tells it finished with `values` [refusals, kl]. */
export async function finishTrial(
  study: Study,
  values: [number, number],
  userAttrs?: Record<string, unknown>,
): Promise<void> {
  const trial = await study.ask();
  assert.ok(trial, 'the study hands out another trial');
  await study.tell(trial.number, values, { userAttrs });
}
