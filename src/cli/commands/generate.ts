// `candor generate MODEL`: greedy responses to one prompt or a file of prompts, with the chat
// template applied unless --raw. Results go to stdout (text, or JSON lines); progress to stderr.

import { readFile, stat } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import { BACKEND_CHOICES, selectBackend } from '../../backend/select.js';
import { Engine } from '../../engine/engine.js';
import { openModel } from '../../model/open.js';
import { loadTokenizer } from '../../tokenize/tokenizer.js';
import { wholeNumber } from '../parse.js';

/** Prompts of a .txt file (one a non-empty line) or a .jsonl file (string field `prompt`). */
export async function readPromptFile(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const lines = text.split(/\r?\n/);
  if (file.endsWith('.txt')) return lines.filter((line) => line.trim() !== '');
  if (!file.endsWith('.jsonl')) {
    throw new Error(
      `prompts file ${file}: use .txt (one prompt a line) or .jsonl (field "prompt")`,
    );
  }
  const prompts: string[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(
        `prompts file ${file} line ${i + 1}: not JSON; each line needs {"prompt": "..."}`,
      );
    }
    const prompt = (row as { prompt?: unknown } | null)?.prompt;
    if (typeof prompt !== 'string') {
      throw new Error(`prompts file ${file} line ${i + 1}: no string field "prompt"`);
    }
    prompts.push(prompt);
  }
  return prompts;
}

export const command = new Command('generate')
  .description('greedy responses of MODEL to prompts (chat template applied unless --raw)')
  .argument('<model>', 'model folder with config.json, *.safetensors and tokenizer files')
  .option('--prompt <text>', 'one prompt')
  .option('--prompts <file>', 'prompts file: .txt (one a line) or .jsonl (field "prompt")')
  .option(
    '--max-new-tokens <n>',
    'most tokens per response',
    wholeNumber('--max-new-tokens', 1),
    100,
  )
  .addOption(
    new Option('--backend <name>', 'where the model runs')
      .choices(BACKEND_CHOICES)
      .default('auto' as const),
  )
  .option('--raw', 'no chat template: the prompt text is the whole input', false)
  .option('--json', 'print one {"prompt", "response"} JSON object per line', false)
  .option(
    '--batch-size <n>',
    'prompts run at once (default: chosen from memory)',
    wholeNumber('--batch-size', 1),
  )
  .action(async (modelDir, opts) => {
    if ((opts.prompt === undefined) === (opts.prompts === undefined)) {
      throw new Error('candor generate: give exactly one of --prompt TEXT or --prompts FILE');
    }
    const texts =
      opts.prompt !== undefined ? [opts.prompt] : await readPromptFile(opts.prompts as string);
    if (texts.length === 0) throw new Error(`prompts file ${opts.prompts}: no prompts in it`);
    const isDir = await stat(modelDir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir)
      throw new Error(`model ${modelDir}: not a local folder (give a folder with config.json)`);

    const log = (line: string) => process.stderr.write(`${line}\n`);
    const backend = await selectBackend(opts.backend, log);
    const model = await openModel(modelDir);
    const tokenizer = await loadTokenizer(modelDir);
    let engine: Engine | null = null;
    try {
      log(`loading ${modelDir} (${model.spec.architecture}, ${model.spec.numLayers} layers)`);
      engine = await Engine.load(backend, model);
      const prompts = texts.map((text) =>
        opts.raw
          ? tokenizer.encode(text)
          : tokenizer.encodeChat([{ role: 'user', content: text }], { addGenerationPrompt: true }),
      );
      log(`generating up to ${opts.maxNewTokens} tokens for ${prompts.length} prompt(s)`);
      const started = performance.now();
      const result = await engine.generate(prompts, {
        maxNewTokens: opts.maxNewTokens,
        batchSize: opts.batchSize,
      });
      const seconds = (performance.now() - started) / 1000;
      const count = result.tokens.reduce((n, t) => n + t.length, 0);
      log(`${count} tokens in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(1)} tokens/s)`);
      for (const [i, ids] of result.tokens.entries()) {
        const response = tokenizer.decode(ids, { skipSpecialTokens: true });
        if (opts.json) process.stdout.write(`${JSON.stringify({ prompt: texts[i], response })}\n`);
        else if (texts.length === 1) process.stdout.write(`${response}\n`);
        else process.stdout.write(`> ${texts[i]}\n${response}\n\n`);
      }
    } finally {
      engine?.dispose();
      await model.close();
      backend.destroy();
    }
  });
