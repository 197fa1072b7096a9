// tools/gguf.mjs: round trips of every metadata type and tensor encoding, streaming writes, malformed input, and
// the fixture models made by the reference quantizers (bitnet.cpp I2_S, llama.cpp TQ2_0/TQ1_0): their tensor
// tables, bit-exact decoding against the F32 masters, and byte-exact re-encoding of the masters.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';

import {
  decodeTensor,
  encodeTensor,
  f16ToF32,
  f32ToF16,
  getValue,
  GGUFError,
  GGUFWriter,
  readGGUF,
  readTensorBytes,
  TensorType,
  ValueType,
  type GGUFFile,
  type TensorInfo,
} from '../../tools/gguf.mjs';
import { DEFAULT_LLAMA3_TOKENIZER, SHAPES, synthBitnet, type Shape } from '../../tools/synth-bitnet.mjs';

const modelsDir = path.resolve(__dirname, '../fixtures/bitnet/models');

function fixture(name: string): Buffer {
  const bytes = readFileSync(path.join(modelsDir, name));
  return name.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random ternary values times one f16-exact scale: what the I2_S/TQ encoders are exact for. */
function ternary(n: number, scale: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (Math.floor(r() * 3) - 1) * scale);
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.every((x, i) => x === ub[i]);
}

describe('f16 conversion', () => {
  it('round-trips every half value', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = f16ToF32(h);
      if (Number.isNaN(x)) continue;
      assert.equal(f32ToF16(x), h, `0x${h.toString(16)}`);
    }
  });

  it('rounds to nearest even, saturates to infinity and flushes tiny values', () => {
    assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // halfway between 1 and the next half: to even (1)
    assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02); // halfway, odd below: up
    assert.equal(f32ToF16(1 + 2 ** -11 + 2 ** -20), 0x3c01); // above halfway: up
    assert.equal(f32ToF16(65520), 0x7c00); // rounds past the largest half (65504)
    assert.equal(f32ToF16(65519), 0x7bff);
    assert.equal(f32ToF16(-1e9), 0xfc00);
    assert.equal(f32ToF16(2 ** -25), 0); // half of the smallest subnormal: to even (0)
    assert.equal(f32ToF16(2 ** -25 * 1.5), 1);
    assert.equal(f32ToF16(-(2 ** -24)), 0x8001);
    assert.equal(f32ToF16(2 ** -14 - 2 ** -25), 0x0400); // largest subnormal + half ulp: to the smallest normal
    assert.ok(Number.isNaN(f16ToF32(f32ToF16(NaN))));
  });
});

describe('GGUF writer and reader', () => {
  it('round-trips every metadata type, arrays and alignment', () => {
    const w = new GGUFWriter({ alignment: 64 });
    w.set('u8', ValueType.UINT8, 255)
      .set('i8', ValueType.INT8, -128)
      .set('u16', ValueType.UINT16, 65535)
      .set('i16', ValueType.INT16, -32768)
      .u32('u32', 4294967295)
      .i32('i32', -2147483648)
      .f32('f32', 0.5)
      .bool('bool', true)
      .string('str', 'héllo ✓ 🚀')
      .set('u64', ValueType.UINT64, 2n ** 64n - 1n)
      .set('i64', ValueType.INT64, -(2n ** 63n))
      .set('f64', ValueType.FLOAT64, Math.PI)
      .array('a.str', ValueType.STRING, ['Ġ', '', 'a b'])
      .array('a.i32', ValueType.INT32, [1, -2, 3])
      .array('a.f32', ValueType.FLOAT32, [0.25, -1])
      .array('a.bool', ValueType.BOOL, [true, false])
      .array('a.u64', ValueType.UINT64, [1n, 2n ** 40n])
      .array('a.empty', ValueType.UINT8, []);
    const buf = w.toBuffer();
    const g = readGGUF(buf);
    assert.equal(g.alignment, 64);
    assert.equal(g.dataOffset % 64, 0);
    const expect: Array<[string, unknown]> = [
      ['u8', 255], ['i8', -128], ['u16', 65535], ['i16', -32768], ['u32', 4294967295], ['i32', -2147483648],
      ['f32', 0.5], ['bool', true], ['str', 'héllo ✓ 🚀'], ['u64', 2n ** 64n - 1n], ['i64', -(2n ** 63n)],
      ['f64', Math.PI], ['general.alignment', 64],
    ];
    for (const [k, v] of expect) assert.equal(getValue(g, k), v, k);
    assert.deepEqual(getValue(g, 'a.str'), ['Ġ', '', 'a b']);
    assert.deepEqual(Array.from(getValue(g, 'a.i32') as Int32Array), [1, -2, 3]);
    assert.deepEqual(Array.from(getValue(g, 'a.f32') as Float32Array), [0.25, -1]);
    assert.deepEqual(getValue(g, 'a.bool'), [true, false]);
    assert.deepEqual(Array.from(getValue(g, 'a.u64') as BigUint64Array), [1n, 2n ** 40n]);
    assert.equal((getValue(g, 'a.empty') as Uint8Array).length, 0);
    assert.equal(g.kv.get('a.i32')?.elemType, ValueType.INT32);
  });

  it('round-trips tensors of every writable type', () => {
    const w = new GGUFWriter();
    const data = {
      f32: Float32Array.from({ length: 96 }, (_, i) => Math.sin(i) * 3),
      f16: Float32Array.from({ length: 64 }, (_, i) => f16ToF32(f32ToF16(i / 7))),
      q8: Float32Array.from({ length: 64 }, (_, i) => (i - 32) / 5),
      i2s: ternary(256 * 3, 0.0625, 1),
      tq2: ternary(256 * 2, 0.75, 2),
      tq1: ternary(256 * 2, 1.5, 3),
    };
    w.tensor('f32', [32, 3], TensorType.F32, encodeTensor(TensorType.F32, data.f32));
    w.tensor('f16', [64], TensorType.F16, encodeTensor(TensorType.F16, data.f16));
    w.tensor('q8', [32, 2], TensorType.Q8_0, encodeTensor(TensorType.Q8_0, data.q8));
    w.tensor('i2s', [256, 3], TensorType.I2_S, encodeTensor(TensorType.I2_S, data.i2s));
    w.tensor('tq2', [256, 2], TensorType.TQ2_0, encodeTensor(TensorType.TQ2_0, data.tq2));
    w.tensor('tq1', [512], TensorType.TQ1_0, encodeTensor(TensorType.TQ1_0, data.tq1));
    const buf = w.toBuffer();
    assert.equal(buf.length, w.layout().totalBytes);
    const g = readGGUF(buf);
    assert.deepEqual(g.tensors.map((t) => [t.name, t.type, t.dims, t.nBytes]), [
      ['f32', TensorType.F32, [32, 3], 384],
      ['f16', TensorType.F16, [64], 128],
      ['q8', TensorType.Q8_0, [32, 2], 68],
      ['i2s', TensorType.I2_S, [256, 3], 256 * 3 / 4 + 32],
      ['tq2', TensorType.TQ2_0, [256, 2], 132],
      ['tq1', TensorType.TQ1_0, [512], 108],
    ]);
    const decoded = (name: string) => {
      const t = g.tensors.find((x) => x.name === name) as TensorInfo;
      assert.equal(Number(t.offset) % 32, 0);
      return decodeTensor(t.type, readTensorBytes(buf, g, t), t.nElements);
    };
    assert.ok(bitsEqual(decoded('f32'), data.f32));
    assert.ok(bitsEqual(decoded('f16'), data.f16));
    assert.ok(bitsEqual(decoded('i2s'), data.i2s));
    assert.ok(bitsEqual(decoded('tq2'), data.tq2));
    assert.ok(bitsEqual(decoded('tq1'), data.tq1));
    // Q8_0: within half a quantization step d = max|x| / 127, plus the error of storing d as f16 (at most
    // 2^-11 relative, times |q| <= 127).
    const q8 = decoded('q8');
    for (let b = 0; b < 2; b++) {
      const block = data.q8.subarray(b * 32, b * 32 + 32);
      const d = Math.max(...block.map(Math.abs)) / 127;
      const bound = d * (0.5 + 127 * 2 ** -11) + 1e-7;
      block.forEach((x, j) => assert.ok(Math.abs(q8[b * 32 + j] - x) <= bound, `q8 ${b} ${j}`));
    }
  });

  it('encodes Q8_0 like the ggml reference (round half away from zero, f16 scale)', () => {
    const x = new Float32Array(32);
    x[0] = 127;
    x[1] = -2.5;
    x[2] = 2.5;
    x[3] = 0.49;
    const b = encodeTensor(TensorType.Q8_0, x);
    assert.equal(b.readUInt16LE(0), f32ToF16(1));
    assert.deepEqual([b.readInt8(2), b.readInt8(3), b.readInt8(4), b.readInt8(5)], [127, -3, 3, 0]);
  });

  it('streams tensor data from generators to a file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trit-gguf-'));
    try {
      const w = new GGUFWriter();
      w.string('general.architecture', 'test');
      const rows = 8;
      const x = ternary(rows * 256, 0.5, 9);
      const codes = Uint8Array.from(x, (v) => (v > 0 ? 2 : v < 0 ? 0 : 1));
      const i2s = encodeTensor(TensorType.I2_S, x);
      w.tensor('streamed', [256, rows], TensorType.I2_S, function* () {
        // Row by row, then the tail: what a writer of a 1 GB model does.
        for (let r = 0; r < rows; r++) yield i2s.subarray(r * 64, r * 64 + 64);
        yield i2s.subarray(rows * 64);
      });
      w.tensor('after', [4], TensorType.F32, encodeTensor(TensorType.F32, [1, 2, 3, 4]));
      const file = path.join(dir, 'streamed.gguf');
      const written = w.writeFile(file);
      assert.equal(written, statSync(file).size);
      assert.equal(written, w.layout().totalBytes);
      const g = readGGUF(file); // read from disk, not from a buffer
      const t = g.tensors[0] as TensorInfo;
      assert.ok(bitsEqual(decodeTensor(t.type, readTensorBytes(file, g, t), t.nElements), x));
      assert.equal(codes.length, t.nElements);
      const bad = new GGUFWriter();
      bad.tensor('short', [256], TensorType.I2_S, function* () {
        yield new Uint8Array(10);
      });
      assert.throws(() => bad.toBuffer(), /produced 10 of its 96 bytes/);
      assert.throws(() => new GGUFWriter().tensor('x', [100], TensorType.I2_S, new Uint8Array(57)), /multiple of 128/);
      assert.throws(() => new GGUFWriter().tensor('x', [4], TensorType.F32, new Uint8Array(15)), /need 16/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed files with a GGUFError, never another exception', () => {
    const w = new GGUFWriter();
    w.string('general.architecture', 'test').array('a', ValueType.STRING, ['x', 'yy']);
    w.tensor('t', [32], TensorType.F32, new Uint8Array(128));
    const good = w.toBuffer();
    assert.doesNotThrow(() => readGGUF(good));
    // The layout names every section's offset: the second key starts right after the first entry.
    const layout = w.layout();
    assert.deepEqual(layout.kvOffsets, [24, 24 + 8 + 20 + 4 + 8 + 4]);
    assert.equal(good.readBigUInt64LE(layout.kvOffsets[1] as number), 1n); // the length of key 'a'
    assert.equal(good.subarray((layout.tensorInfoOffsets[0] as number) + 8, (layout.tensorInfoOffsets[0] as number) + 9).toString(), 't');
    assert.equal(layout.dataOffset % 32, 0);
    for (let cut = 0; cut < good.length; cut++) {
      assert.throws(() => readGGUF(good.subarray(0, cut)), GGUFError, `truncated at ${cut}`);
    }
    const badMagic = Buffer.from(good);
    badMagic.write('GGUX', 0, 'latin1');
    assert.throws(() => readGGUF(badMagic), /bad magic/);
    const badVersion = Buffer.from(good);
    badVersion.writeUInt32LE(2, 4);
    assert.throws(() => readGGUF(badVersion), /version 2/);
    const hugeCount = Buffer.from(good);
    hugeCount.writeBigUInt64LE(2n ** 62n, 16);
    assert.throws(() => readGGUF(hugeCount), /metadata count .* out of range/);
    const hugeString = Buffer.from(good);
    hugeString.writeBigUInt64LE(2n ** 40n, 24); // the first key's length
    assert.throws(() => readGGUF(hugeString), /string length .* out of range/);
  });
});

// The fixture models: same tensors, different containers and weight types.
const masters: Record<string, string> = {
  'fixture-b158-i2_s.gguf': 'fixture-b158-f32.gguf.gz',
  'fixture-bitnet-tq2_0.gguf': 'fixture-bitnet-f32.gguf.gz',
  'fixture-bitnet-tq1_0.gguf': 'fixture-bitnet-f32.gguf.gz',
};
const weightTypes: Record<string, number> = {
  'fixture-b158-f32.gguf.gz': TensorType.F32,
  'fixture-bitnet-f32.gguf.gz': TensorType.F32,
  'fixture-b158-i2_s.gguf': TensorType.I2_S,
  'fixture-bitnet-tq2_0.gguf': TensorType.TQ2_0,
  'fixture-bitnet-tq1_0.gguf': TensorType.TQ1_0,
};
const linear = ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'];
const expectedDims: Record<string, number[]> = {
  attn_q: [256, 256], attn_k: [256, 128], attn_v: [256, 128], attn_output: [256, 256],
  ffn_gate: [256, 512], ffn_up: [256, 512], ffn_down: [512, 256],
  attn_norm: [256], attn_sub_norm: [256], ffn_norm: [256], ffn_sub_norm: [512],
};

describe('fixture models', () => {
  const read = (name: string): [Buffer, GGUFFile] => {
    const buf = fixture(name);
    return [buf, readGGUF(buf)];
  };

  for (const [name, weightType] of Object.entries(weightTypes)) {
    it(`${name}: metadata and tensor table`, () => {
      const [, g] = read(name);
      assert.equal(getValue(g, 'general.architecture'), name.includes('b158') ? 'bitnet-b1.58' : 'bitnet');
      assert.equal(getValue(g, 'tokenizer.ggml.model'), 'gpt2');
      assert.equal(g.kv.has('tokenizer.ggml.pre'), false);
      assert.equal((getValue(g, 'tokenizer.ggml.tokens') as string[]).length, 509);
      assert.equal(g.tensors.length, 24);
      const byName = new Map(g.tensors.map((t) => [t.name, t]));
      const embd = byName.get('token_embd.weight') as TensorInfo;
      assert.deepEqual(embd.dims, [256, 509]);
      assert.equal(embd.type, weightType === TensorType.F32 ? TensorType.F32 : TensorType.F16);
      assert.deepEqual(byName.get('output_norm.weight')?.dims, [256]);
      for (let il = 0; il < 2; il++) {
        for (const [t, dims] of Object.entries(expectedDims)) {
          const info = byName.get(`blk.${il}.${t}.weight`) as TensorInfo;
          assert.deepEqual(info.dims, dims, info.name);
          assert.equal(info.type, linear.includes(t) ? weightType : TensorType.F32, info.name);
        }
      }
    });
  }

  for (const [name, masterName] of Object.entries(masters)) {
    it(`${name}: every tensor decodes bit-exactly to the F32 master, and re-encodes to the same bytes`, () => {
      const [buf, g] = read(name);
      const [mbuf, mg] = read(masterName);
      const masterTensors = new Map(mg.tensors.map((t) => [t.name, t]));
      for (const t of g.tensors) {
        const m = masterTensors.get(t.name) as TensorInfo;
        assert.deepEqual(t.dims, m.dims, t.name);
        const want = decodeTensor(m.type, readTensorBytes(mbuf, mg, m), m.nElements);
        const bytes = readTensorBytes(buf, g, t);
        assert.ok(bitsEqual(decodeTensor(t.type, bytes, t.nElements), want), `${t.name} decodes to the master`);
        const again = encodeTensor(t.type, want);
        // I2_S: the 28 bytes after the scale are never written by the quantizer (arbitrary), so compare up to it.
        const compared = t.type === TensorType.I2_S ? t.nElements / 4 + 4 : bytes.length;
        assert.ok(again.subarray(0, compared).equals(bytes.subarray(0, compared)), `${t.name} re-encodes exactly`);
      }
    });
  }
});

describe('synthetic BitNet models (tools/synth-bitnet.mjs)', () => {
  it('writes a tiny model with the fixture models\' tensor table, streamed, with random ternary weights', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trit-synth-'));
    try {
      const file = path.join(dir, 'tiny.gguf');
      const w = synthBitnet({ shape: SHAPES.tiny as Shape, seed: 3 });
      assert.equal(w.writeFile(file), statSync(file).size);
      const g = readGGUF(file);
      const fixtureFile = readGGUF(fixture('fixture-b158-i2_s.gguf'));
      assert.deepEqual(g.tensors.map((t) => [t.name, t.type]), fixtureFile.tensors.map((t) => [t.name, t.type]));
      assert.equal(getValue(g, 'general.architecture'), 'bitnet-b1.58');
      assert.equal(getValue(g, 'bitnet-b1.58.block_count'), 2);
      assert.equal(g.kv.has('tokenizer.ggml.pre'), false);
      for (const t of g.tensors.filter((x) => x.type === TensorType.I2_S)) {
        const x = decodeTensor(t.type, readTensorBytes(file, g, t), t.nElements);
        const scale = 1 / Math.sqrt((2 / 3) * (t.dims[0] as number));
        const counts = new Map<number, number>();
        for (const v of x) counts.set(v, (counts.get(v) ?? 0) + 1);
        assert.deepEqual([...counts.keys()].sort(), [-Math.fround(scale), 0, Math.fround(scale)].sort(), t.name);
        for (const c of counts.values()) assert.ok(Math.abs(c / t.nElements - 1 / 3) < 0.02, `${t.name}: ${c}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lays out a 2B4T-shaped model like the official file (332 tensors: 121 F32, 1 F16, 210 I2_S)', () => {
    const w = synthBitnet({ shape: SHAPES['2b4t'] as Shape, tokenizerJson: DEFAULT_LLAMA3_TOKENIZER });
    const layout = w.layout();
    const counts = new Map<number, number>();
    for (const t of w.tensors) counts.set(t.type, (counts.get(t.type) ?? 0) + 1);
    assert.equal(w.tensors.length, 332);
    assert.deepEqual([counts.get(TensorType.F32), counts.get(TensorType.F16), counts.get(TensorType.I2_S)], [121, 1, 210]);
    const down = layout.tensors.find((t) => t.name === 'blk.0.ffn_down.weight');
    assert.equal(down?.nBytes, 4_423_712); // 6912 x 2560 / 4 + 32
    assert.ok(layout.totalBytes > 1.18e9 && layout.totalBytes < 1.2e9, String(layout.totalBytes));
  });
});
