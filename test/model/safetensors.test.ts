// Safetensors reader and writer: round trips, byte equality with files written by Python's
// safetensors/transformers (test/model/data, made by make_safetensors.py), and one-line errors.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HostTensor } from '../../src/backend/backend.js';
import { pythonJsonDumps } from '../../src/model/python-json.js';
import { openSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import {
  readSafetensorsIndex,
  writeShardedSafetensors,
} from '../../src/model/safetensors-shards.js';

const DATA = join(import.meta.dirname, 'data');
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'candor-st-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** make_safetensors.py's ramp: arange(n) * 0.25 - 1.5, exactly representable in bf16/f16/f32. */
function ramp(shape: number[], dtype: HostTensor['dtype']): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => i * 0.25 - 1.5);
  const f32 = new Float32Array(values);
  if (dtype === 'f32') return { shape, dtype, bytes: new Uint8Array(f32.buffer) };
  const u16 = new Uint16Array(n);
  if (dtype === 'bf16') {
    // exact values: the top 16 bits of the f32 pattern
    const u32 = new Uint32Array(f32.buffer);
    for (let i = 0; i < n; i++) u16[i] = u32[i] >>> 16;
  } else {
    for (let i = 0; i < n; i++) u16[i] = f16Bits(values[i]);
  }
  return { shape, dtype, bytes: new Uint8Array(u16.buffer) };
}

/** f16 bit pattern of a value that f16 represents exactly (normal numbers and zero). */
function f16Bits(x: number): number {
  if (x === 0) return 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  const e = Math.floor(Math.log2(a));
  const mantissa = Math.round((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | mantissa;
}

describe('safetensors writer matches Python byte for byte', () => {
  test('mixed dtypes, names needing sorting and escaping, metadata {format: pt}', async () => {
    const tensors: Record<string, HostTensor> = {
      'model.layers.10.mlp.down_proj.weight': ramp([3, 2], 'bf16'),
      'model.layers.2.mlp.down_proj.weight': ramp([3, 2], 'bf16'),
      '10': ramp([2], 'f32'),
      '9': ramp([1], 'f16'),
      Zeta: ramp([2, 2], 'f32'),
      alpha: ramp([4], 'f16'),
      'é\u00ff\u0100': ramp([1, 3], 'f32'),
      'quote"back\\slash\ttab\u0001': ramp([2], 'bf16'),
      empty: { shape: [0, 5], dtype: 'f32', bytes: new Uint8Array(0) },
      scalar: {
        shape: [],
        dtype: 'f16',
        bytes: new Uint8Array(new Uint16Array([f16Bits(3.5)]).buffer),
      },
    };
    const out = join(dir, 'mixed.safetensors');
    await writeSafetensors(out, tensors, { format: 'pt' });
    assert.deepEqual(await readFile(out), await readFile(join(DATA, 'python-mixed.safetensors')));
  });

  test('no metadata', async () => {
    const out = join(dir, 'nometa.safetensors');
    await writeSafetensors(out, [['only', ramp([2, 3], 'f32')]]);
    assert.deepEqual(await readFile(out), await readFile(join(DATA, 'python-nometa.safetensors')));
  });

  test('sharded like save_pretrained(max_shard_size="1KB"): same files, same bytes', async () => {
    const src = join(DATA, 'python-sharded');
    const order: string[] = JSON.parse(await readFile(join(src, 'state_dict_order.json'), 'utf8'));
    const index = await readSafetensorsIndex(src);
    const files = new Map<string, Awaited<ReturnType<typeof openSafetensors>>>();
    for (const f of new Set(index.values())) files.set(f, await openSafetensors(join(src, f)));
    // lazy sources: each tensor is read only when the writer reaches it
    const tensors = order.map((name) => {
      const file = files.get(index.get(name)!)!;
      const info = file.tensors.get(name)!;
      const dtype = ({ F32: 'f32', F16: 'f16', BF16: 'bf16' } as const)[info.dtype as 'F32'];
      return [
        name,
        { shape: info.shape, dtype, bytes: async () => (await file.read(name)).bytes },
      ] as const;
    });
    const out = join(dir, 'sharded');
    await rm(out, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(out));
    const written = await writeShardedSafetensors(out, tensors, { maxShardSize: 1000 });
    for (const f of files.values()) await f.close();
    const expected = (await readdir(src)).filter((f) => f !== 'state_dict_order.json').sort();
    assert.deepEqual([...written].sort(), expected);
    for (const name of expected) {
      assert.deepEqual(await readFile(join(out, name)), await readFile(join(src, name)), name);
    }
  });

  test('one shard: model.safetensors and no index', async () => {
    const out = await mkdtemp(join(dir, 'single-'));
    const written = await writeShardedSafetensors(out, [['a', ramp([2], 'f32')]]);
    assert.deepEqual(written, ['model.safetensors']);
    assert.deepEqual(await readdir(out), ['model.safetensors']);
  });
});

test('pythonJsonDumps equals json.dumps(indent=2, sort_keys=True)', async () => {
  const input = JSON.parse(await readFile(join(DATA, 'python-json-input.json'), 'utf8'));
  const expected = await readFile(join(DATA, 'python-json-dumps.txt'), 'utf8');
  assert.equal(pythonJsonDumps(input, { indent: 2, sortKeys: true }) + '\n', expected);
});

describe('safetensors reader', () => {
  test('reads Python-written tensors back with their bytes, shapes and metadata', async () => {
    const f = await openSafetensors(join(DATA, 'python-mixed.safetensors'));
    try {
      assert.deepEqual(f.metadata, { format: 'pt' });
      // safetensors' order: F32 names sorted, then BF16, then F16
      assert.deepEqual(
        [...f.tensors.keys()],
        [
          '10',
          'Zeta',
          'empty',
          'é\u00ff\u0100',
          'model.layers.10.mlp.down_proj.weight',
          'model.layers.2.mlp.down_proj.weight',
          'quote"back\\slash\ttab\u0001',
          '9',
          'alpha',
          'scalar',
        ],
      );
      assert.deepEqual(await f.read('Zeta'), ramp([2, 2], 'f32'));
      assert.deepEqual(await f.read('model.layers.2.mlp.down_proj.weight'), ramp([3, 2], 'bf16'));
      assert.deepEqual(await f.read('alpha'), ramp([4], 'f16'));
      assert.deepEqual((await f.read('scalar')).shape, []);
      assert.deepEqual((await f.read('empty')).bytes.length, 0);
      await assert.rejects(f.read('nope'), /python-mixed.safetensors: no tensor named 'nope'/);
    } finally {
      await f.close();
    }
  });

  test('round trip of TS-written file', async () => {
    const path = join(dir, 'rt.safetensors');
    const a = ramp([3, 5], 'bf16');
    const b = ramp([7], 'f32');
    await writeSafetensors(path, { a, b });
    const f = await openSafetensors(path);
    assert.equal(f.metadata, null);
    assert.deepEqual(await f.read('a'), a);
    assert.deepEqual(await f.read('b'), b);
    await f.close();
  });
});

describe('safetensors errors are one line naming the file and the problem', () => {
  async function corrupt(name: string, mutate: (b: Buffer) => Buffer): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, mutate(await readFile(join(DATA, 'python-nometa.safetensors'))));
    return path;
  }
  // python-nometa.safetensors: 8-byte length (64), 64 header bytes, 24 data bytes = 96 bytes
  const headerOf = (b: Buffer) => b.subarray(8, 72).toString();
  const withHeader = (b: Buffer, json: string) => {
    const h = Buffer.alloc(64, 0x20);
    h.write(json);
    return Buffer.concat([b.subarray(0, 8), h, b.subarray(72)]);
  };

  test('truncated shard', async () => {
    const path = join(dir, 'model-00002-of-00002.safetensors');
    await copyFile(join(DATA, 'python-nometa.safetensors'), path);
    await truncate(path, 90);
    await assert.rejects(openSafetensors(path), {
      message: `${path}: truncated (header says 24 bytes of data, file has 18)`,
    });
  });

  test('header length beyond the file', async () => {
    const path = await corrupt('short.safetensors', (b) => b.subarray(0, 40));
    await assert.rejects(openSafetensors(path), {
      message: `${path}: truncated (header says its JSON is 64 bytes, file has 32 after the length)`,
    });
  });

  test('corrupt JSON names the byte', async () => {
    // '{"only":{…' becomes '{}only":{…': the object closes at byte 1, byte 2 is junk
    const path = await corrupt('model.safetensors', (b) => {
      const c = Buffer.from(b);
      c[8 + 1] = 0x7d; // '}'
      return c;
    });
    await assert.rejects(openSafetensors(path), {
      message: `${path}: corrupt header (JSON parse failed at byte 2)`,
    });
  });

  test('unknown dtype', async () => {
    const path = await corrupt('dtype.safetensors', (b) =>
      withHeader(b, headerOf(b).replace('"F32"', '"F33"')),
    );
    await assert.rejects(openSafetensors(path), (e: Error) => {
      assert.match(
        e.message,
        /dtype\.safetensors: tensor 'only' has unknown dtype "F33" \(known: BOOL,/,
      );
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  });

  test('offsets inconsistent with shape × dtype', async () => {
    const path = await corrupt('offsets.safetensors', (b) =>
      withHeader(b, headerOf(b).replace('"shape":[2,3]', '"shape":[2,2]')),
    );
    await assert.rejects(openSafetensors(path), {
      message: `${path}: corrupt header (tensor 'only': data_offsets [0, 24] hold 24 bytes, shape [2,2] of F32 needs 16)`,
    });
  });

  test('trailing bytes', async () => {
    const path = await corrupt('long.safetensors', (b) => Buffer.concat([b, Buffer.alloc(4)]));
    await assert.rejects(openSafetensors(path), {
      message: `${path}: corrupt (header says 24 bytes of data, file has 28: trailing bytes)`,
    });
  });

  test('non-float dtype is readable in the header but refused on read', async () => {
    const path = await corrupt('int.safetensors', (b) =>
      withHeader(b, headerOf(b).replace('"F32"', '"I32"')),
    );
    const f = await openSafetensors(path);
    await assert.rejects(f.read('only'), {
      message: `${path}: tensor 'only' has dtype I32; Candor reads BF16, F16 and F32 weights`,
    });
    await f.close();
  });

  test('missing file', async () => {
    const path = join(dir, 'absent.safetensors');
    await assert.rejects(openSafetensors(path), { message: `${path}: cannot open (ENOENT)` });
  });
});
