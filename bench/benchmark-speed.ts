// Speed of `candor benchmark`'s scoring against transformers on the same CPU, model and task
// slice: the llama fixture, the ARC and plain fixture tasks repeated into `--items` rows, one
// log-likelihood per choice. Prints one JSON line (median of --runs runs, milliseconds).
// Usage: npx tsx bench/benchmark-speed.ts [--items 200] [--runs 5]
//        (peer: /work/venv/bin/python bench/benchmark_speed.py, same arguments)

import { parseArgs } from 'node:util';
import { createCpuBackend } from '../src/backend/cpu/index.js';
import { encodePair, prefixTokenId } from '../src/benchmark/encode.js';
import { continuationLogLikelihoods } from '../src/engine/continuation.js';
import { Engine } from '../src/engine/engine.js';
import { openModel } from '../src/model/open.js';
import { loadTokenizer } from '../src/tokenize/tokenizer.js';
import { speedSlice } from './benchmark-slice.js';

const { values } = parseArgs({
  options: { items: { type: 'string', default: '200' }, runs: { type: 'string', default: '5' } },
});
const dir = 'test/fixtures/models/llama';
const model = await openModel(dir);
const tokenizer = await loadTokenizer(dir);
const engine = await Engine.load(createCpuBackend(), model);
const prefix = prefixTokenId(tokenizer, model.spec.eosTokenIds);
const pairs = speedSlice(Number(values.items)).map(([c, x]) => encodePair(tokenizer, c, x, prefix));
const times: number[] = [];
for (let r = 0; r < Number(values.runs); r++) {
  const start = performance.now();
  await continuationLogLikelihoods(engine, pairs);
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({ peer: 'candor-cpu', requests: pairs.length, median_ms: times[times.length >> 1] })}\n`,
);
engine.dispose();
await model.close();
