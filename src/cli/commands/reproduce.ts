// `candor reproduce FILE|URL`: bake the trial recorded in a saved model's reproduce.json again
// (from a file, a Hub repo or a URL), from the recorded model and directions, compare every
// tensor's sha256 with the original export, and on a mismatch measure the differing tensors and
// grade the inputs that differ. Exit code 0 when every tensor is identical, 1 otherwise.

import { Command, Option } from '@commander-js/extra-typings';
import { reproduce } from '../../run/reproduce.js';
import { formatReproduceReport } from '../../run/reproduce-report.js';
import { openReproduction } from '../../run/reproduce-source.js';
import { ROUNDING_ULP } from '../../run/tensor-diff.js';

const MIB = 1 << 20;

export const command = new Command('reproduce')
  .description(
    "re-bake a saved model from its reproduce.json, compare every tensor's sha256, and explain a mismatch",
  )
  .argument(
    '<source>',
    'reproduce.json (or the saved folder holding it), a Hub model repo (org/name or its URL, optionally /blob/REVISION/PATH), or an http(s) URL of a reproduce.json',
  )
  .option('--model <dir>', 'model folder or Hub id to use instead of the recorded one')
  .addOption(
    new Option(
      '--measure <MiB>',
      'on a mismatch, read at most this much of the original export to measure how far differing tensors moved (0: do not measure)',
    )
      .default('1024')
      .argParser((v) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0) throw new Error(`--measure ${v}: give MiB, e.g. 1024`);
        return String(n);
      }),
  )
  .addHelpText(
    'after',
    `
Severities of a differing input:
  blocking     an input of the bake (model weights, directions): the tensors cannot match
  significant  what the run chose or would choose (settings, trial, prompt sets, profile)
  minor        the environment (Candor, Node, platform, backend, other model files): the CPU
               bake gives the same bytes across it
A differing tensor within ${ROUNDING_ULP} ulp everywhere is rounding noise; more is a real difference.

Sources: a Hub repo is read at HF_ENDPOINT (default https://huggingface.co) with HF_TOKEN, its
reproduce/ files cached in the Hugging Face cache; a URL's directions file is fetched from beside
it. The original export's weights are not downloaded: tensors are compared by the recorded sha256,
and only differing ones are read, by range, to measure them.`,
  )
  .action(async (arg, opts) => {
    const token = process.env.HF_TOKEN;
    const source = await openReproduction(arg, { token });
    try {
      const report = await reproduce(source.file, {
        model: opts.model,
        token,
        original: source.original,
        measureBytes: Number(opts.measure) * MIB,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(`${formatReproduceReport(report).join('\n')}\n`);
      process.exitCode = report.identical ? 0 : 1;
    } finally {
      await source.dispose();
    }
  });
