// The `candor` command line: discovers every command module in ./commands (one file a command,
// each exporting `command`), so stages add commands without touching this file.

import { readdirSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';

export interface CommandModule {
  command: Command<unknown[], Record<string, unknown>>;
  /** the default command: runs when the first argument names no other command */
  isDefault?: boolean;
}

async function loadCommands(): Promise<CommandModule[]> {
  const dir = new URL('./commands/', import.meta.url);
  const files = readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !f.includes('.test.'))
    .sort();
  const modules: CommandModule[] = [];
  for (const file of files) modules.push((await import(new URL(file, dir).href)) as CommandModule);
  return modules;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('candor')
    .description('Remove refusal behaviour from open-weight language models, on any GPU or CPU.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const mod of await loadCommands()) {
    program.addCommand(mod.command as unknown as Command, { isDefault: mod.isDefault === true });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const code = (err as { code?: string; exitCode?: number }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return 0;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      return (err as { exitCode?: number }).exitCode ?? 1;
    }
    throw err;
  }
}
