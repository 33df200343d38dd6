// `candor [run] [MODEL]`: the automatic run (the default command). Every setting of the schema
// is a flag; with no MODEL it runs on the bundled demo model and prompt sets, offline.

import { fileURLToPath } from 'node:url';
import { Command, Option } from '@commander-js/extra-typings';
import { SETTINGS } from '../../config/schema.js';
import { flagName, type RunSettings } from '../../config/settings.js';
import { resolveProfiledSettings } from '../../profile/profile.js';
import { autoRun } from '../../run/auto-run.js';
import { Progress } from '../../ui/progress.js';

export const DEMO_MODEL = fileURLToPath(new URL('../../../models/demo', import.meta.url));

/** With no MODEL: a search short enough for a laptop CPU (the demo model needs no more). */
export const DEMO_DEFAULTS: Partial<RunSettings> = {
  trials: 8,
  startup_trials: 4,
  // a 6-layer model decides to refuse early, below Heretic's ranges; refusal markers come first
  search_space: 'wide',
  max_response_tokens: 24,
  output: 'demo-candor',
};

function settingOption(s: (typeof SETTINGS)[number]): Option {
  const flag = flagName(s.key);
  const shown =
    s.default === null
      ? 'unset'
      : Array.isArray(s.default)
        ? `${s.default.length} entries`
        : String(s.default);
  const help = `${s.help} (default: ${shown})`;
  if (s.type.kind === 'bool') return new Option(`--${flag} [bool]`, help).preset('true');
  const option = new Option(`--${flag} <value>`, help);
  return s.type.kind === 'enum' ? option.choices(s.type.choices) : option;
}

const command = new Command('run')
  .description('find refusal directions, search ablation parameters, save the uncensored model')
  .argument(
    '[model]',
    'Hugging Face model id or local folder (default: the bundled demo model, with --trials 8 --startup-trials 4 --search-space wide --max-response-tokens 24 --output demo-candor)',
  )
  .option('--config <file>', 'settings file (default: ./candor.toml if present)');
for (const s of SETTINGS) command.addOption(settingOption(s));

command.action(async (model, options) => {
  const flags: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const value = (options as Record<string, unknown>)[
      s.key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
    ];
    if (value !== undefined) flags[s.key] = value;
  }
  // defaults < profile < candor.toml < environment < flags
  const { settings } = resolveProfiledSettings(
    { configPath: (options as { config?: string }).config ?? null, env: process.env, flags },
    model === undefined ? DEMO_DEFAULTS : {},
  );
  const progress = new Progress();
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  process.exitCode = await autoRun(model ?? DEMO_MODEL, settings, { interactive, progress });
});

export { command };
export const isDefault = true;
