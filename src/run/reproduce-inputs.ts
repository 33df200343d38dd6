// What a reproduce.json recorded against what is here now, graded by how much each difference
// matters to the re-bake: blocking (an input of the bake differs, the tensors cannot match),
// significant (what the run chose or would choose differs: settings, trial, prompt sets,
// profile), minor (the environment: Candor, Node, platform, backend, model files outside the
// weights, none of which changes the bytes of the CPU bake).

import type { PromptSetKey } from '../profile/profile.js';
import type { ReproduceJson } from './reproduce.js';

export type Severity = 'blocking' | 'significant' | 'minor';
export const SEVERITIES: readonly Severity[] = ['blocking', 'significant', 'minor'];

export interface InputDifference {
  severity: Severity;
  /** what differs, e.g. "directions", "Node version" */
  item: string;
  /** recorded vs now */
  detail: string;
  /** how much it matters, in words */
  effect: string;
}

/** The inputs and environment of this re-bake, as reproduce.json records them. */
export interface PresentInputs {
  candor: string;
  node: string;
  platform: string;
  /** the backend that bakes here: the CPU path, whatever backend the search ran on */
  backend: string;
  /** sha256 of every file of the model folder used now */
  modelFiles: Record<string, string>;
  directionsSha256: string;
  /** sha256 of the record's settings and trial as they read now */
  settingsSha256: string;
  trialSha256: string;
  /** sha256 of each prompt set resolved now; absent where it could not be loaded */
  promptSets: Partial<Record<PromptSetKey, string>>;
  /** sha256 of the profile file found now under the recorded name; null where none is */
  profileSha256: string | null;
}

/** Files whose bytes become tensors of the export: weights, their index, the architecture. */
const WEIGHT_FILE = /\.safetensors$|\.safetensors\.index\.json$|^config\.json$/;

/** "a, b, c and 4 more" */
function listNames(names: string[], most = 4): string {
  const shown = names.slice(0, most).join(', ');
  return names.length > most ? `${shown} and ${names.length - most} more` : shown;
}

function modelFileDifferences(
  recorded: Record<string, string>,
  now: Record<string, string>,
): InputDifference[] {
  const changed = [...new Set([...Object.keys(recorded), ...Object.keys(now)])]
    .sort()
    .filter((f) => recorded[f] !== now[f]);
  const describe = (files: string[]): string =>
    listNames(
      files.map((f) =>
        now[f] === undefined ? `${f} missing` : recorded[f] === undefined ? `${f} new` : f,
      ),
    );
  const groups: [string[], Omit<InputDifference, 'detail'>][] = [
    [
      changed.filter((f) => WEIGHT_FILE.test(f)),
      {
        severity: 'blocking',
        item: 'model weights',
        effect: 'the bake starts from other weights; the tensors cannot match',
      },
    ],
    [
      changed.filter((f) => !WEIGHT_FILE.test(f)),
      {
        severity: 'minor',
        item: 'model files',
        effect: 'not part of any tensor (copied beside the weights)',
      },
    ],
  ];
  return groups
    .filter(([files]) => files.length > 0)
    .map(([files, what]) => ({
      ...what,
      detail: `${describe(files)}: sha256 differs from the recorded one`,
    }));
}

const ENVIRONMENT_EFFECT =
  'environment only: the CPU bake gives the same bytes across it, so it should not change them';

/** Every recorded input or environment item that differs now, most important first. */
export function gradeInputs(record: ReproduceJson, now: PresentInputs): InputDifference[] {
  const out: InputDifference[] = [...modelFileDifferences(record.model.files, now.modelFiles)];
  if (now.directionsSha256 !== record.directions.sha256) {
    out.push({
      severity: 'blocking',
      item: 'directions',
      detail: `${record.directions.file} changed since the save (sha256 differs)`,
      effect: 'the bake projects out other directions; the tensors cannot match',
    });
  }
  if (now.settingsSha256 !== record.settings_sha256) {
    out.push({
      severity: 'significant',
      item: 'settings',
      detail: 'the recorded settings were edited after the save',
      effect:
        'kernel, normalization, save format and LoRA rank shape the bake; expect other tensors',
    });
  }
  if (record.trial_sha256 !== undefined && now.trialSha256 !== record.trial_sha256) {
    out.push({
      severity: 'significant',
      item: 'trial',
      detail: `the recorded trial ${record.trial.number} was edited after the save`,
      effect: 'its parameters are the edit that is baked; expect other tensors',
    });
  }
  const sets = (Object.keys(record.prompt_sets) as PromptSetKey[]).filter(
    (k) => now.promptSets[k] !== undefined && now.promptSets[k] !== record.prompt_sets[k].sha256,
  );
  if (sets.length > 0) {
    out.push({
      severity: 'significant',
      item: 'prompt sets',
      detail: `${sets.map((k) => `${k} (${record.prompt_sets[k].spec})`).join(', ')} resolve to other prompts now`,
      effect:
        'a new search would find other directions and trials; this re-bake reads the saved directions, so it is unaffected',
    });
  }
  if (now.profileSha256 !== null && now.profileSha256 !== record.profile.sha256) {
    out.push({
      severity: 'significant',
      item: 'profile',
      detail: `profile "${record.profile.name}" changed since the save (sha256 differs)`,
      effect:
        'its judge and objectives steer a new search to another trial; this re-bake is unaffected',
    });
  }
  const environment: [string, string, string][] = [
    ['Candor version', record.candor, now.candor],
    ['Node version', record.node, now.node],
    ['platform', record.platform, now.platform],
  ];
  for (const [item, then, here] of environment) {
    if (then !== here) {
      out.push({
        severity: 'minor',
        item,
        detail: `recorded ${then}, now ${here}`,
        effect: ENVIRONMENT_EFFECT,
      });
    }
  }
  if (record.backend.name !== now.backend) {
    out.push({
      severity: 'minor',
      item: 'backend',
      detail: `the search ran on ${record.backend.name} (${record.backend.description}), this bake on ${now.backend}`,
      effect:
        'the bake runs on the CPU path whatever the backend, so it should not change the bytes',
    });
  }
  // stable: items keep their order within a severity
  return out.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
}
