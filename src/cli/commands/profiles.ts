// `candor profiles`: the built-in behaviour profiles, one line each (name and description);
// `candor profiles NAME|FILE` prints what that profile sets, after validating it.

import { Command } from '@commander-js/extra-typings';
import { builtinProfileNames, DEFAULT_PROFILE, loadProfile } from '../../profile/profile.js';

export const command = new Command('profiles')
  .description('list the built-in behaviour profiles, or show what one profile sets')
  .argument('[profile]', 'built-in profile name or .toml file to show')
  .action((name) => {
    if (name !== undefined) {
      const profile = loadProfile(name);
      const lines = [`${profile.name} (${profile.path})`, `  ${profile.description}`];
      for (const [key, value] of Object.entries(profile.settings)) {
        const shown = Array.isArray(value) ? `${value.length} entries` : JSON.stringify(value);
        const affix = profile.affixes[key as keyof typeof profile.affixes];
        const extra = affix
          ? ` (${[affix.prefix && `prefix ${JSON.stringify(affix.prefix)}`, affix.suffix && `suffix ${JSON.stringify(affix.suffix)}`].filter(Boolean).join(', ')})`
          : '';
        lines.push(`  ${key} = ${shown}${extra}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
      return;
    }
    const names = builtinProfileNames();
    const width = Math.max(...names.map((n) => n.length));
    for (const n of names) {
      const profile = loadProfile(n);
      const mark = n === DEFAULT_PROFILE ? '*' : ' ';
      process.stdout.write(`${mark} ${n.padEnd(width)}  ${profile.description}\n`);
    }
    process.stderr.write(
      `* the default; use one with \`candor MODEL --profile NAME|FILE\` (see docs/profiles.md)\n`,
    );
  });
