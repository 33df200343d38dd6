// openModel on the transformers-made fixtures (test/fixtures/models): every architecture opens,
// its spec matches what the fixture README and golden.json say, weights stream into every slot
// (phi3's fused tensors split by rows), and broken folders give one-line errors naming the path.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HostTensor } from '../../src/backend/backend.js';
import { readWhole } from '../../src/backend/weight-stream.js';
import { openModel } from '../../src/model/open.js';
import { openSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import type { LayerWeights } from '../../src/model/spec.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'models');
const ARCHS = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma2', 'gemma3_text', 'phi3'] as const;

interface Golden {
  architecture: string;
  num_layers: number;
  hidden_size: number;
  vocab_size: number;
  eos_token_ids: number[];
}

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'candor-open-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Uploaded {
  name: string;
  t: HostTensor;
}

describe('every fixture opens and loads', () => {
  for (const arch of ARCHS) {
    test(arch, async () => {
      const dir = join(FIXTURES, arch);
      const golden: Golden = JSON.parse(await readFile(join(dir, 'golden.json'), 'utf8'));
      const model = await openModel(dir);
      try {
        const { spec } = model;
        assert.equal(spec.architecture, golden.architecture);
        assert.equal(spec.numLayers, golden.num_layers);
        assert.equal(spec.hiddenSize, golden.hidden_size);
        assert.equal(spec.vocabSize, golden.vocab_size);
        assert.deepEqual(spec.eosTokenIds, golden.eos_token_ids);
        assert.equal(spec.layers.length, spec.numLayers);
        const weights = await model.loadWeights(
          async (name, t): Promise<Uploaded> => ({ name, t: await readWhole(t) }),
        );
        assert.deepEqual(weights.embedding.t.shape, [spec.vocabSize, spec.hiddenSize]);
        assert.deepEqual(weights.finalNorm.t.shape, [spec.hiddenSize]);
        if (spec.tieWordEmbeddings) assert.equal(weights.lmHead, weights.embedding);
        else assert.equal(weights.lmHead.name, 'lm_head.weight');
        const { hiddenSize: C, numHeads: H, numKvHeads: K, headDim: D } = spec;
        const F = spec.intermediateSize;
        for (const [i, layer] of weights.layers.entries()) {
          const shape = (slot: keyof LayerWeights<Uploaded>) => layer[slot]?.t.shape;
          assert.deepEqual(shape('q'), [H * D, C], `layer ${i} q`);
          assert.deepEqual(shape('k'), [K * D, C]);
          assert.deepEqual(shape('v'), [K * D, C]);
          assert.deepEqual(shape('o'), [C, H * D]);
          assert.deepEqual(shape('gate'), [F, C]);
          assert.deepEqual(shape('up'), [F, C]);
          assert.deepEqual(shape('down'), [C, F]);
          assert.deepEqual(shape('inputNorm'), [C]);
          assert.deepEqual(shape('preMlpNorm'), [C]);
          assert.equal(layer.qBias !== undefined, spec.attentionBias);
          assert.equal(layer.oBias !== undefined, spec.outputBias);
          assert.equal(layer.qNorm !== undefined, spec.qkNorm);
          assert.equal(layer.postMlpNorm !== undefined, spec.sandwichNorms);
          for (const u of Object.values(layer) as Uploaded[]) {
            assert.equal(u.name.startsWith(`model.layers.${i}.`), true, u.name);
          }
        }
      } finally {
        await model.close();
      }
    });
  }
});

describe('fixture specs carry each architecture’s features (fixture README table)', () => {
  const spec = async (arch: string) => {
    const m = await openModel(join(FIXTURES, arch));
    await m.close();
    return m.spec;
  };
  test('llama: sharded checkpoint, llama3 rope scaling, eos list', async () => {
    const index = JSON.parse(
      await readFile(join(FIXTURES, 'llama', 'model.safetensors.index.json'), 'utf8'),
    );
    assert.equal(new Set(Object.values(index.weight_map)).size, 3);
    const s = await spec('llama');
    assert.equal(s.tieWordEmbeddings, false);
    assert.ok(s.eosTokenIds.length > 1);
    assert.equal(s.config.rope_scaling !== undefined, true);
  });
  test('mistral: window 6 on every layer', async () => {
    const s = await spec('mistral');
    assert.deepEqual(
      s.layers.map((l) => l.slidingWindow),
      Array(s.numLayers).fill(6),
    );
  });
  test('qwen2: q/k/v biases, no o bias, tied', async () => {
    const s = await spec('qwen2');
    assert.deepEqual([s.attentionBias, s.outputBias, s.tieWordEmbeddings], [true, false, true]);
  });
  test('qwen3: q/k norms', async () => {
    assert.equal((await spec('qwen3')).qkNorm, true);
  });
  test('gemma2: softcaps, window 8 on alternate layers, query_pre_attn_scalar 32', async () => {
    const s = await spec('gemma2');
    assert.ok(s.attentionLogitSoftcap !== null && s.finalLogitSoftcap !== null);
    assert.deepEqual(
      s.layers.slice(0, 2).map((l) => l.slidingWindow),
      [8, null],
    );
    assert.equal(s.attentionScale, 0.1767766952966369); // Python: 32 ** -0.5
    assert.equal(s.embeddingScale, Math.fround(Math.sqrt(s.hiddenSize)));
    assert.deepEqual([s.normWeightOffset, s.sandwichNorms, s.activation], [1, true, 'gelu_tanh']);
  });
  test('gemma3_text: local layers base 10000, global 1e6 with linear ×8', async () => {
    const s = await spec('gemma3_text');
    const local = s.layers.find((l) => l.slidingWindow === 8)!;
    const global = s.layers.find((l) => l.slidingWindow === null)!;
    // second inverse frequency: base^(-2/D) (÷8 on global layers), D = 16
    assert.equal(local.rope.invFreq[1], Math.fround(1 / Math.fround(10000 ** Math.fround(2 / 16))));
    assert.equal(
      global.rope.invFreq[1],
      Math.fround(Math.fround(1 / Math.fround(1e6 ** Math.fround(2 / 16))) / 8),
    );
  });
  test('phi3: partial rotary 0.5 → rotaryDim = D/2', async () => {
    const s = await spec('phi3');
    assert.equal(s.layers[0].rope.rotaryDim, s.headDim / 2);
  });
});

test('phi3 fused tensors are split by rows: q, k, v and gate, up', async () => {
  const dir = join(FIXTURES, 'phi3');
  const model = await openModel(dir);
  try {
    const {
      numHeads: H,
      numKvHeads: K,
      headDim: D,
      hiddenSize: C,
      intermediateSize: F,
    } = model.spec;
    const weights = await model.loadWeights(async (name, t) => ({ name, t: await readWhole(t) }));
    const qkv = await model.readTensor('model.layers.1.self_attn.qkv_proj.weight');
    const gateUp = await model.readTensor('model.layers.1.mlp.gate_up_proj.weight');
    const rows = (t: HostTensor, from: number, to: number) =>
      t.bytes.slice(from * C * 4, to * C * 4); // f32 fixture: C values of 4 bytes per row
    const layer = weights.layers[1];
    assert.equal(layer.q.name, 'model.layers.1.self_attn.q_proj.weight');
    assert.deepEqual(layer.q.t.bytes, rows(qkv, 0, H * D));
    assert.deepEqual(layer.k.t.bytes, rows(qkv, H * D, (H + K) * D));
    assert.deepEqual(layer.v.t.bytes, rows(qkv, (H + K) * D, (H + 2 * K) * D));
    assert.deepEqual(layer.gate.t.bytes, rows(gateUp, 0, F));
    assert.deepEqual(layer.up.t.bytes, rows(gateUp, F, 2 * F));
    assert.ok(model.tensorNames().includes('model.layers.0.mlp.gate_up_proj.weight'));
  } finally {
    await model.close();
  }
});

describe('broken model folders: one-line errors naming the path', () => {
  const copy = async (arch: string, name: string) => {
    const dir = join(tmp, name);
    await cp(join(FIXTURES, arch), dir, { recursive: true });
    return dir;
  };

  test('missing folder', async () => {
    const dir = join(tmp, 'nope');
    await assert.rejects(openModel(dir), {
      message: `${dir}: model folder not found (give a local folder or a Hugging Face model id)`,
    });
  });

  test('missing config.json', async () => {
    const dir = await copy('qwen2', 'no-config');
    await rm(join(dir, 'config.json'));
    await assert.rejects(openModel(dir), {
      message: `${join(dir, 'config.json')}: not found; a model folder needs config.json (download the whole model repository)`,
    });
  });

  test('no weights', async () => {
    const dir = await copy('qwen2', 'no-weights');
    await rm(join(dir, 'model.safetensors'));
    await assert.rejects(openModel(dir), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`^${dir}: no model.safetensors or model.safetensors.index.json;`),
      );
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  });

  test('a shard named by the index is missing', async () => {
    const dir = await copy('llama', 'no-shard');
    await rm(join(dir, 'model-00002-of-00003.safetensors'));
    await assert.rejects(openModel(dir), {
      message: `${join(dir, 'model-00002-of-00003.safetensors')}: cannot open (ENOENT)`,
    });
  });

  test('a declared tensor is missing', async () => {
    const dir = await copy('qwen2', 'no-tensor');
    const path = join(dir, 'model.safetensors');
    const f = await openSafetensors(path);
    const kept: [string, HostTensor][] = [];
    for (const name of f.tensors.keys()) {
      if (name !== 'model.layers.1.self_attn.k_proj.bias') kept.push([name, await f.read(name)]);
    }
    await f.close();
    await writeSafetensors(path, kept, { format: 'pt' });
    await assert.rejects(openModel(dir), {
      message:
        /^\S+no-tensor\/model\.safetensors: missing tensor "model\.layers\.1\.self_attn\.k_proj\.bias" \(shape \[\d+\] expected from config\.json\); is the download complete\?$/,
    });
  });

  test('config and weights disagree on a shape', async () => {
    const dir = await copy('mistral', 'bad-shape');
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ ...config, intermediate_size: config.intermediate_size * 2 }),
    );
    await assert.rejects(openModel(dir), {
      message: new RegExp(
        `^${join(dir, 'model.safetensors')}: tensor "model\\.layers\\.0\\.mlp\\.gate_proj\\.weight" has shape \\[${config.intermediate_size},${config.hidden_size}\\], config\\.json implies \\[${config.intermediate_size * 2},${config.hidden_size}\\]; config and weights do not belong together$`,
      ),
    });
  });
});
