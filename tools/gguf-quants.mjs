// @ts-check
// Tensor encodings of GGUF files, bit-exact with the ggml reference quantizers: F32, F16, BF16 (decode only), Q8_0,
// I2_S (bitnet.cpp, x86 layout), TQ2_0, TQ1_0 (llama.cpp), plus the f16 scalar conversions. Re-exported by
// gguf.mjs; no dependencies.

/** ggml tensor types (bitnet.cpp numbering: 36 = I2_S). */
export const TensorType = Object.freeze({
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, Q8_1: 9, Q2_K: 10, Q3_K: 11, Q4_K: 12,
  Q5_K: 13, Q6_K: 14, Q8_K: 15, BF16: 30, TQ1_0: 34, TQ2_0: 35, I2_S: 36,
});

/** @type {Record<number, string>} */
export const TENSOR_TYPE_NAMES = Object.fromEntries(Object.entries(TensorType).map(([k, v]) => [v, k]));

/** I2_S (bitnet.cpp, x86 layout): 128-element blocks of 32 bytes, then an f32 scale and 28 unspecified bytes. */
export const I2S_BLOCK = 128;

/** A malformed file or an impossible request (bad sizes, types, values) in the GGUF tools. */
export class GGUFError extends Error {}

/** @param {Uint8Array} b @returns {ArrayBuffer} a fresh, aligned copy */
function copyAligned(b) {
  const ab = new ArrayBuffer(b.length);
  new Uint8Array(ab).set(b);
  return ab;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalar conversions

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** float32 -> IEEE half bits, round to nearest even (as F16C and numpy do). @param {number} x */
export function f32ToF16(x) {
  f32Scratch[0] = x;
  const b = u32Scratch[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    let m = full >>> shift;
    if (rem > half || (rem === half && (m & 1))) m++;
    return sign | m;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** IEEE half bits -> number (exact). @param {number} h */
export function f16ToF32(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits -> number. @param {number} h */
export function bf16ToF32(h) {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0];
}

/** C roundf / lroundf: nearest, halves away from zero. @param {number} x */
function roundHalfAway(x) {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

// ---------------------------------------------------------------------------------------------------------------
// Tensor encodings. Encoders take float32 values (row-major, ne[0] contiguous) and return the bytes the ggml
// reference quantizers write; decoders return Float32Array. I2_S and TQ encoders are meant for weights that are
// already ternary x scale (they are exact then, like the references).

/** @param {ArrayLike<number>} x @returns {Buffer} */
export function encodeF32(x) {
  const b = Buffer.alloc(x.length * 4);
  for (let i = 0; i < x.length; i++) b.writeFloatLE(x[i], i * 4);
  return b;
}

/** @param {ArrayLike<number>} x @returns {Buffer} */
export function encodeF16(x) {
  const b = Buffer.alloc(x.length * 2);
  for (let i = 0; i < x.length; i++) b.writeUInt16LE(f32ToF16(x[i]), i * 2);
  return b;
}

/** ggml quantize_row_q8_0_ref: per 32 values d = max|x|/127 (stored f16), q = round(x/d). @param {ArrayLike<number>} x */
export function encodeQ8_0(x) {
  if (x.length % 32 !== 0) throw new GGUFError('Q8_0 needs a multiple of 32 values');
  const b = Buffer.alloc((x.length / 32) * 34);
  for (let blk = 0; blk < x.length / 32; blk++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[blk * 32 + j]));
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    b.writeUInt16LE(f32ToF16(d), blk * 34);
    for (let j = 0; j < 32; j++) b.writeInt8(roundHalfAway(Math.fround(x[blk * 32 + j] * id)), blk * 34 + 2 + j);
  }
  return b;
}

/**
 * I2_S (bitnet.cpp quantize_i2_s, x86 layout): scale = max|x|; code 1 for |x| < 1e-6, 2 for x > 0, else 0; byte k
 * of each 128-element block holds elements k, k+32, k+64, k+96 at bits 7:6, 5:4, 3:2, 1:0; then the f32 scale and
 * 28 zero bytes. @param {ArrayLike<number>} x
 */
export function encodeI2S(x) {
  const n = x.length;
  if (n % I2S_BLOCK !== 0) throw new GGUFError(`I2_S needs a multiple of ${I2S_BLOCK} values`);
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(x[i]));
  const codes = new Uint8Array(n);
  for (let i = 0; i < n; i++) codes[i] = Math.abs(x[i]) < 1e-6 ? 1 : x[i] * scale > 0 ? 2 : 0;
  return packI2S(codes, scale);
}

/**
 * Packs ternary codes (0 = -1, 1 = 0, 2 = +1) and a scale into I2_S bytes. Streaming writers call it per row group.
 * @param {Uint8Array} codes @param {number} scale @param {boolean} [withTail] append the scale and 28 zero bytes
 */
export function packI2S(codes, scale, withTail = true) {
  const n = codes.length;
  if (n % I2S_BLOCK !== 0) throw new GGUFError(`I2_S needs a multiple of ${I2S_BLOCK} values`);
  const b = Buffer.alloc(n / 4 + (withTail ? 32 : 0));
  for (let blk = 0; blk < n / I2S_BLOCK; blk++) {
    const src = blk * I2S_BLOCK;
    const dst = blk * 32;
    for (let k = 0; k < 32; k++) {
      b[dst + k] = (codes[src + k] << 6) | (codes[src + k + 32] << 4) | (codes[src + k + 64] << 2) | codes[src + k + 96];
    }
  }
  if (withTail) b.writeFloatLE(scale, n / 4);
  return b;
}

/** @param {Uint8Array} b @param {number} n number of elements */
export function decodeI2S(b, n) {
  const view = Buffer.from(b.buffer, b.byteOffset, b.length);
  const scale = view.readFloatLE(n / 4);
  const out = new Float32Array(n);
  for (let blk = 0; blk < n / I2S_BLOCK; blk++) {
    for (let k = 0; k < 32; k++) {
      const q = view[blk * 32 + k];
      for (let g = 0; g < 4; g++) out[blk * I2S_BLOCK + g * 32 + k] = (((q >> (6 - 2 * g)) & 3) - 1) * scale;
    }
  }
  return out;
}

/** ggml quantize_row_tq2_0_ref: 256-element blocks {qs[64], f16 d}, element 128j+32l+m in qs[32j+m] bits 2l. */
/** @param {ArrayLike<number>} x */
export function encodeTQ2_0(x) {
  if (x.length % 256 !== 0) throw new GGUFError('TQ2_0 needs a multiple of 256 values');
  const b = Buffer.alloc((x.length / 256) * 66);
  for (let blk = 0; blk < x.length / 256; blk++) {
    const base = blk * 256;
    const d = blockAbsMax(x, base, 256);
    const id = d ? Math.fround(1 / d) : 0;
    for (let j = 0; j < 64; j += 32) {
      for (let m = 0; m < 32; m++) {
        let q = 0;
        for (let l = 0; l < 4; l++) q |= ((roundHalfAway(Math.fround(x[base + j * 4 + m + l * 32] * id)) + 1) & 3) << (2 * l);
        b[blk * 66 + j + m] = q;
      }
    }
    b.writeUInt16LE(f32ToF16(d), blk * 66 + 64);
  }
  return b;
}

/** @param {Uint8Array} b @param {number} n */
export function decodeTQ2_0(b, n) {
  const view = Buffer.from(b.buffer, b.byteOffset, b.length);
  const out = new Float32Array(n);
  for (let blk = 0; blk < n / 256; blk++) {
    const d = f16ToF32(view.readUInt16LE(blk * 66 + 64));
    for (let j = 0; j < 64; j += 32) {
      for (let l = 0; l < 4; l++) {
        for (let m = 0; m < 32; m++) {
          out[blk * 256 + j * 4 + l * 32 + m] = Math.fround((((view[blk * 66 + j + m] >> (2 * l)) & 3) - 1) * d);
        }
      }
    }
  }
  return out;
}

const POW3 = [1, 3, 9, 27, 81, 243];

/**
 * ggml quantize_row_tq1_0_ref: 256-element blocks {qs[48], qh[4], f16 d}; 5 trits per byte (first = most
 * significant) stored as ceil(v * 256 / 243). qs[0..31]: elements m + 32n; qs[32..47]: 160 + m + 16n;
 * qh[0..3]: 240 + j + 4n (4 trits, then x3). @param {ArrayLike<number>} x
 */
export function encodeTQ1_0(x) {
  if (x.length % 256 !== 0) throw new GGUFError('TQ1_0 needs a multiple of 256 values');
  const b = Buffer.alloc((x.length / 256) * 54);
  for (let blk = 0; blk < x.length / 256; blk++) {
    const base = blk * 256;
    const o = blk * 54;
    const d = blockAbsMax(x, base, 256);
    const id = d ? Math.fround(1 / d) : 0;
    const trit = (/** @type {number} */ i) => roundHalfAway(Math.fround(x[base + i] * id)) + 1;
    const pack = (/** @type {number} */ v) => Math.floor((v * 256 + 242) / 243);
    for (let m = 0; m < 32; m++) {
      let q = 0;
      for (let n = 0; n < 5; n++) q = q * 3 + trit(m + n * 32);
      b[o + m] = pack(q);
    }
    for (let m = 0; m < 16; m++) {
      let q = 0;
      for (let n = 0; n < 5; n++) q = q * 3 + trit(160 + m + n * 16);
      b[o + 32 + m] = pack(q);
    }
    for (let j = 0; j < 4; j++) {
      let q = 0;
      for (let n = 0; n < 4; n++) q = q * 3 + trit(240 + j + n * 4);
      b[o + 48 + j] = pack(q * 3);
    }
    b.writeUInt16LE(f32ToF16(d), o + 52);
  }
  return b;
}

/** @param {Uint8Array} b @param {number} n */
export function decodeTQ1_0(b, n) {
  const view = Buffer.from(b.buffer, b.byteOffset, b.length);
  const out = new Float32Array(n);
  const trit = (/** @type {number} */ byte, /** @type {number} */ k) => ((((byte * POW3[k]) & 0xff) * 3) >> 8) - 1;
  for (let blk = 0; blk < n / 256; blk++) {
    const o = blk * 54;
    const y = blk * 256;
    const d = f16ToF32(view.readUInt16LE(o + 52));
    for (let k = 0; k < 5; k++) for (let m = 0; m < 32; m++) out[y + k * 32 + m] = Math.fround(trit(view[o + m], k) * d);
    for (let k = 0; k < 5; k++) for (let m = 0; m < 16; m++) out[y + 160 + k * 16 + m] = Math.fround(trit(view[o + 32 + m], k) * d);
    for (let k = 0; k < 4; k++) for (let j = 0; j < 4; j++) out[y + 240 + k * 4 + j] = Math.fround(trit(view[o + 48 + j], k) * d);
  }
  return out;
}

/** @param {ArrayLike<number>} x @param {number} start @param {number} len */
function blockAbsMax(x, start, len) {
  let m = 0;
  for (let i = start; i < start + len; i++) m = Math.max(m, Math.abs(x[i]));
  return Math.fround(m);
}

/**
 * Decodes a tensor's bytes to float32 values.
 * @param {number} type @param {Uint8Array} b @param {number} n number of elements @returns {Float32Array}
 */
export function decodeTensor(type, b, n) {
  const view = Buffer.from(b.buffer, b.byteOffset, b.length);
  switch (type) {
    case TensorType.F32: return new Float32Array(copyAligned(view.subarray(0, n * 4)));
    case TensorType.F16: return Float32Array.from({ length: n }, (_, i) => f16ToF32(view.readUInt16LE(i * 2)));
    case TensorType.BF16: return Float32Array.from({ length: n }, (_, i) => bf16ToF32(view.readUInt16LE(i * 2)));
    case TensorType.Q8_0: {
      const out = new Float32Array(n);
      for (let blk = 0; blk < n / 32; blk++) {
        const d = f16ToF32(view.readUInt16LE(blk * 34));
        for (let j = 0; j < 32; j++) out[blk * 32 + j] = Math.fround(view.readInt8(blk * 34 + 2 + j) * d);
      }
      return out;
    }
    case TensorType.I2_S: return decodeI2S(view, n);
    case TensorType.TQ2_0: return decodeTQ2_0(view, n);
    case TensorType.TQ1_0: return decodeTQ1_0(view, n);
    default: throw new GGUFError(`cannot decode tensor type ${TENSOR_TYPE_NAMES[type] ?? type}`);
  }
}

/** Encodes float32 values as `type` (one of F32, F16, Q8_0, I2_S, TQ2_0, TQ1_0). @param {number} type @param {ArrayLike<number>} x */
export function encodeTensor(type, x) {
  switch (type) {
    case TensorType.F32: return encodeF32(x);
    case TensorType.F16: return encodeF16(x);
    case TensorType.Q8_0: return encodeQ8_0(x);
    case TensorType.I2_S: return encodeI2S(x);
    case TensorType.TQ2_0: return encodeTQ2_0(x);
    case TensorType.TQ1_0: return encodeTQ1_0(x);
    default: throw new GGUFError(`cannot encode tensor type ${TENSOR_TYPE_NAMES[type] ?? type}`);
  }
}
