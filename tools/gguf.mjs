// @ts-check
// GGUF v3 reader and writer. The tensor encodings the engine reads (F32, F16, BF16, Q8_0, I2_S, TQ2_0, TQ1_0) live in
// gguf-quants.mjs and are re-exported here.
// Plain ESM with JSDoc types and no dependencies: used by tests (vocabulary files, malformed-file corpus, decoding
// the fixture models), by the benchmark (streaming a 2B4T-shaped model to disk) and from the command line:
//
//   node tools/gguf.mjs info FILE            metadata and tensor table
//
// Byte layout (little-endian):
//   header   "GGUF" u32 version=3, u64 n_tensors, u64 n_kv
//   kv       string key, u32 value type, value      (string = u64 length + UTF-8 bytes)
//   tensors  string name, u32 n_dims, u64 ne[n_dims] (ne[0] contiguous), u32 ggml type, u64 offset
//   padding to general.alignment (default 32), then tensor data at data_start + offset, each padded.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { GGUFError, I2S_BLOCK, TENSOR_TYPE_NAMES, TensorType } from './gguf-quants.mjs';

export * from './gguf-quants.mjs';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** GGUF metadata value types. */
export const ValueType = Object.freeze({
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7,
  STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
});

/** Block size (elements) and bytes per block of the types whose size this module knows. I2_S is special. */
/** @type {Record<number, {block: number, bytes: number}>} */
const TYPE_SIZES = {
  [TensorType.F32]: { block: 1, bytes: 4 },
  [TensorType.F16]: { block: 1, bytes: 2 },
  [TensorType.BF16]: { block: 1, bytes: 2 },
  [TensorType.Q4_0]: { block: 32, bytes: 18 },
  [TensorType.Q4_1]: { block: 32, bytes: 20 },
  [TensorType.Q5_0]: { block: 32, bytes: 22 },
  [TensorType.Q5_1]: { block: 32, bytes: 24 },
  [TensorType.Q8_0]: { block: 32, bytes: 34 },
  [TensorType.Q2_K]: { block: 256, bytes: 84 },
  [TensorType.Q3_K]: { block: 256, bytes: 110 },
  [TensorType.Q4_K]: { block: 256, bytes: 144 },
  [TensorType.Q5_K]: { block: 256, bytes: 176 },
  [TensorType.Q6_K]: { block: 256, bytes: 210 },
  [TensorType.TQ1_0]: { block: 256, bytes: 54 },
  [TensorType.TQ2_0]: { block: 256, bytes: 66 },
};

/**
 * @typedef {number | bigint | boolean | string} GGUFScalar
 * @typedef {GGUFScalar | GGUFScalar[] | ArrayLike<number> | ArrayLike<bigint>} GGUFValue
 * @typedef {{ type: number, value: GGUFValue, elemType?: number }} KV
 * @typedef {{ name: string, dims: number[], type: number, offset: bigint, nElements: number, nBytes: number | null }} TensorInfo
 * @typedef {{ version: number, kv: Map<string, KV>, tensors: TensorInfo[], alignment: number,
 *             dataOffset: number, fileSize: number }} GGUFFile
 */

/**
 * Size in bytes of a tensor of `type` with dims `dims`, or null for a type this module does not know.
 * Throws if the dims do not fit the type's blocks.
 * @param {number} type @param {number[]} dims @returns {number | null}
 */
export function tensorNBytes(type, dims) {
  const n = dims.reduce((a, b) => a * b, 1);
  if (type === TensorType.I2_S) {
    if (n % I2S_BLOCK !== 0) throw new GGUFError(`I2_S needs a multiple of ${I2S_BLOCK} elements, got ${n}`);
    return n / 4 + 32;
  }
  const s = TYPE_SIZES[type];
  if (!s) return null;
  if ((dims[0] ?? 1) % s.block !== 0) {
    throw new GGUFError(`${TENSOR_TYPE_NAMES[type]} needs ne[0] to be a multiple of ${s.block}, got ${dims[0]}`);
  }
  return (n / s.block) * s.bytes;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** Random-access byte source over a Buffer or an open file, reading files in chunks on demand. */
class Source {
  /** @param {Uint8Array | string} input */
  constructor(input) {
    if (typeof input === 'string') {
      this.fd = openSync(input, 'r');
      this.size = fstatSync(this.fd).size;
      /** @type {Buffer} */
      this.buf = Buffer.alloc(0);
      this.bufStart = 0;
    } else {
      this.fd = -1;
      this.size = input.length;
      this.buf = Buffer.from(input.buffer, input.byteOffset, input.length);
      this.bufStart = 0;
    }
  }

  /** @param {number} pos @param {number} n @returns {Buffer} */
  bytes(pos, n) {
    if (pos + n > this.size) throw new GGUFError(`file is truncated: needs ${pos + n} bytes, has ${this.size}`);
    if (this.fd < 0) return this.buf.subarray(pos, pos + n);
    if (pos < this.bufStart || pos + n > this.bufStart + this.buf.length) {
      const len = Math.min(Math.max(n, 1 << 20), this.size - pos);
      const b = Buffer.alloc(len);
      readSync(this.fd, b, 0, len, pos);
      this.buf = b;
      this.bufStart = pos;
    }
    return this.buf.subarray(pos - this.bufStart, pos - this.bufStart + n);
  }

  close() {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Sequential reader on a Source. */
class Cursor {
  /** @param {Source} src */
  constructor(src) {
    this.src = src;
    this.pos = 0;
  }
  u8() { return this.src.bytes(this.pos++, 1)[0]; }
  i8() { return this.src.bytes(this.pos++, 1).readInt8(0); }
  u16() { const v = this.src.bytes(this.pos, 2).readUInt16LE(0); this.pos += 2; return v; }
  i16() { const v = this.src.bytes(this.pos, 2).readInt16LE(0); this.pos += 2; return v; }
  u32() { const v = this.src.bytes(this.pos, 4).readUInt32LE(0); this.pos += 4; return v; }
  i32() { const v = this.src.bytes(this.pos, 4).readInt32LE(0); this.pos += 4; return v; }
  f32() { const v = this.src.bytes(this.pos, 4).readFloatLE(0); this.pos += 4; return v; }
  f64() { const v = this.src.bytes(this.pos, 8).readDoubleLE(0); this.pos += 8; return v; }
  u64() { const v = this.src.bytes(this.pos, 8).readBigUInt64LE(0); this.pos += 8; return v; }
  i64() { const v = this.src.bytes(this.pos, 8).readBigInt64LE(0); this.pos += 8; return v; }
  /** A u64 that must fit in a JS number and be at most `max`. @param {string} what @param {number} max */
  count(what, max) {
    const v = this.u64();
    if (v > BigInt(max)) throw new GGUFError(`${what} ${v} is out of range (at most ${max} here)`);
    return Number(v);
  }
  str() {
    const n = this.count('string length', this.src.size - this.pos - 8);
    const s = this.src.bytes(this.pos, n).toString('utf8');
    this.pos += n;
    return s;
  }
}

/** @param {Cursor} c @param {number} type @returns {GGUFScalar} */
function readScalar(c, type) {
  switch (type) {
    case ValueType.UINT8: return c.u8();
    case ValueType.INT8: return c.i8();
    case ValueType.UINT16: return c.u16();
    case ValueType.INT16: return c.i16();
    case ValueType.UINT32: return c.u32();
    case ValueType.INT32: return c.i32();
    case ValueType.FLOAT32: return c.f32();
    case ValueType.BOOL: {
      const b = c.u8();
      if (b > 1) throw new GGUFError(`bad bool value ${b}`);
      return b === 1;
    }
    case ValueType.STRING: return c.str();
    case ValueType.UINT64: return c.u64();
    case ValueType.INT64: return c.i64();
    case ValueType.FLOAT64: return c.f64();
    default: throw new GGUFError(`bad value type ${type}`);
  }
}

/** Numeric array element types as typed arrays (bytes per element, constructor). */
/** @type {Record<number, [number, (b: Buffer) => ArrayLike<number> | ArrayLike<bigint>]>} */
const TYPED_ARRAYS = {
  [ValueType.UINT8]: [1, (b) => Uint8Array.from(b)],
  [ValueType.INT8]: [1, (b) => Int8Array.from(b, (x) => (x << 24) >> 24)],
  [ValueType.UINT16]: [2, (b) => new Uint16Array(copyAligned(b))],
  [ValueType.INT16]: [2, (b) => new Int16Array(copyAligned(b))],
  [ValueType.UINT32]: [4, (b) => new Uint32Array(copyAligned(b))],
  [ValueType.INT32]: [4, (b) => new Int32Array(copyAligned(b))],
  [ValueType.FLOAT32]: [4, (b) => new Float32Array(copyAligned(b))],
  [ValueType.UINT64]: [8, (b) => new BigUint64Array(copyAligned(b))],
  [ValueType.INT64]: [8, (b) => new BigInt64Array(copyAligned(b))],
  [ValueType.FLOAT64]: [8, (b) => new Float64Array(copyAligned(b))],
};

/** @param {Buffer} b @returns {ArrayBuffer} a fresh, aligned copy */
function copyAligned(b) {
  const ab = new ArrayBuffer(b.length);
  new Uint8Array(ab).set(b);
  return ab;
}

/** @param {Cursor} c @param {number} depth @returns {KV} */
function readValue(c, depth = 0) {
  const type = c.u32();
  if (type !== ValueType.ARRAY) return { type, value: readScalar(c, type) };
  if (depth > 0) throw new GGUFError('nested arrays are not supported');
  const elemType = c.u32();
  const remaining = c.src.size - c.pos - 8;
  const n = c.count('array length', remaining);
  const typed = TYPED_ARRAYS[elemType];
  if (typed) {
    const [size, make] = typed;
    if (n * size > remaining) throw new GGUFError(`array of ${n} elements does not fit in the file`);
    const v = make(c.src.bytes(c.pos, n * size));
    c.pos += n * size;
    return { type, elemType, value: v };
  }
  if (elemType === ValueType.ARRAY) throw new GGUFError('nested arrays are not supported');
  /** @type {GGUFScalar[]} */
  const values = [];
  for (let i = 0; i < n; i++) values.push(readScalar(c, elemType));
  return { type, elemType, value: values };
}

/**
 * Reads the metadata and tensor table of a GGUF file (path) or buffer. Tensor data is not read.
 * @param {string | Uint8Array} input @returns {GGUFFile}
 */
export function readGGUF(input) {
  const src = new Source(input);
  try {
    const c = new Cursor(src);
    if (c.u32() !== GGUF_MAGIC) throw new GGUFError('not a GGUF file (bad magic)');
    const version = c.u32();
    if (version !== GGUF_VERSION) throw new GGUFError(`unsupported GGUF version ${version}`);
    const nTensors = c.count('tensor count', src.size);
    const nKV = c.count('metadata count', src.size);
    /** @type {Map<string, KV>} */
    const kv = new Map();
    for (let i = 0; i < nKV; i++) {
      const key = c.str();
      if (kv.has(key)) throw new GGUFError(`duplicate key '${key}'`);
      kv.set(key, readValue(c));
    }
    const alignKV = kv.get('general.alignment');
    let alignment = GGUF_DEFAULT_ALIGNMENT;
    if (alignKV) {
      if (alignKV.type !== ValueType.UINT32 || typeof alignKV.value !== 'number' || alignKV.value === 0 ||
          (alignKV.value & (alignKV.value - 1)) !== 0) {
        throw new GGUFError('general.alignment must be a u32 power of two');
      }
      alignment = alignKV.value;
    }
    /** @type {TensorInfo[]} */
    const tensors = [];
    for (let i = 0; i < nTensors; i++) {
      const name = c.str();
      const nDims = c.u32();
      if (nDims < 1 || nDims > 4) throw new GGUFError(`tensor '${name}' has ${nDims} dimensions`);
      /** @type {number[]} */
      const dims = [];
      for (let d = 0; d < nDims; d++) dims.push(c.count(`tensor '${name}' dimension`, 2 ** 40));
      const type = c.u32();
      const offset = c.u64();
      const nElements = dims.reduce((a, b) => a * b, 1);
      if (!Number.isSafeInteger(nElements)) throw new GGUFError(`tensor '${name}' is too large`);
      tensors.push({ name, dims, type, offset, nElements, nBytes: tensorNBytes(type, dims) });
    }
    const dataOffset = Math.ceil(c.pos / alignment) * alignment;
    for (const t of tensors) {
      if (t.offset % BigInt(alignment) !== 0n) throw new GGUFError(`tensor '${t.name}' is not aligned`);
      if (t.nBytes !== null && BigInt(dataOffset) + t.offset + BigInt(t.nBytes) > BigInt(src.size)) {
        throw new GGUFError(`tensor '${t.name}' data lies past the end of the file`);
      }
    }
    return { version, kv, tensors, alignment, dataOffset, fileSize: src.size };
  } finally {
    src.close();
  }
}

/**
 * Reads one tensor's bytes.
 * @param {string | Uint8Array} input the same file or buffer given to readGGUF
 * @param {GGUFFile} file @param {TensorInfo} tensor @returns {Buffer}
 */
export function readTensorBytes(input, file, tensor) {
  if (tensor.nBytes === null) throw new GGUFError(`tensor '${tensor.name}' has a type of unknown size`);
  const src = new Source(input);
  try {
    return Buffer.from(src.bytes(file.dataOffset + Number(tensor.offset), tensor.nBytes));
  } finally {
    src.close();
  }
}

/** The value of a metadata key, or undefined. @param {GGUFFile} file @param {string} key */
export function getValue(file, key) {
  return file.kv.get(key)?.value;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/**
 * Tensor bytes: a buffer, or a function returning the chunks (streamed to disk one by one, so that a 1 GB model
 * never sits in memory).
 * @typedef {Uint8Array | (() => Iterable<Uint8Array>)} TensorData
 * @typedef {{ name: string, dims: number[], type: number, data: TensorData, nBytes: number }} PendingTensor
 */

/** Growable little-endian byte builder for the metadata sections (one buffer, doubled when full). */
class Builder {
  constructor() {
    this.buf = Buffer.alloc(1 << 16);
    this.length = 0;
  }
  /** @param {number} n @returns {number} the offset to write n bytes at */
  reserve(n) {
    if (this.length + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.length + n) cap *= 2;
      const next = Buffer.alloc(cap);
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  // reserve() may replace this.buf, so it is always called before this.buf is read.
  /** @param {Uint8Array} b */
  bytes(b) { const at = this.reserve(b.length); this.buf.set(b, at); }
  /** @param {number} n @param {(b: Buffer, at: number) => void} fill */
  fixed(n, fill) { const at = this.reserve(n); fill(this.buf, at); }
  /** @param {number} v */ u8(v) { this.fixed(1, (b, at) => b.writeUInt8(v, at)); }
  /** @param {number} v */ u32(v) { this.fixed(4, (b, at) => b.writeUInt32LE(v, at)); }
  /** @param {number | bigint} v */ u64(v) { this.fixed(8, (b, at) => b.writeBigUInt64LE(BigInt(v), at)); }
  /** @param {string} s */
  str(s) {
    const n = Buffer.byteLength(s, 'utf8');
    this.u64(n);
    const at = this.reserve(n);
    this.buf.write(s, at, 'utf8');
  }
  build() { return this.buf.subarray(0, this.length); }
}

/** @param {Builder} out @param {number} type @param {GGUFValue} v */
function writeScalar(out, type, v) {
  const num = () => { if (typeof v !== 'number') throw new GGUFError(`expected a number, got ${typeof v}`); return v; };
  switch (type) {
    case ValueType.UINT8: out.fixed(1, (b, at) => b.writeUInt8(num(), at)); break;
    case ValueType.INT8: out.fixed(1, (b, at) => b.writeInt8(num(), at)); break;
    case ValueType.UINT16: out.fixed(2, (b, at) => b.writeUInt16LE(num(), at)); break;
    case ValueType.INT16: out.fixed(2, (b, at) => b.writeInt16LE(num(), at)); break;
    case ValueType.UINT32: out.fixed(4, (b, at) => b.writeUInt32LE(num(), at)); break;
    case ValueType.INT32: out.fixed(4, (b, at) => b.writeInt32LE(num(), at)); break;
    case ValueType.FLOAT32: out.fixed(4, (b, at) => b.writeFloatLE(num(), at)); break;
    case ValueType.FLOAT64: out.fixed(8, (b, at) => b.writeDoubleLE(num(), at)); break;
    case ValueType.BOOL: out.u8(v ? 1 : 0); break;
    case ValueType.STRING:
      if (typeof v !== 'string') throw new GGUFError(`expected a string, got ${typeof v}`);
      out.str(v);
      break;
    case ValueType.UINT64: out.fixed(8, (b, at) => b.writeBigUInt64LE(BigInt(/** @type {number | bigint} */ (v)), at)); break;
    case ValueType.INT64: out.fixed(8, (b, at) => b.writeBigInt64LE(BigInt(/** @type {number | bigint} */ (v)), at)); break;
    default: throw new GGUFError(`bad value type ${type}`);
  }
}

export class GGUFWriter {
  /** @param {{ alignment?: number }} [options] alignment other than 32 is also written as general.alignment */
  constructor(options = {}) {
    this.alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
    if (this.alignment <= 0 || (this.alignment & (this.alignment - 1)) !== 0) {
      throw new GGUFError('alignment must be a power of two');
    }
    /** @type {Map<string, KV>} */
    this.kv = new Map();
    /** @type {PendingTensor[]} */
    this.tensors = [];
    if (this.alignment !== GGUF_DEFAULT_ALIGNMENT) this.set('general.alignment', ValueType.UINT32, this.alignment);
  }

  /** Adds a metadata key (in insertion order). @param {string} key @param {number} type @param {GGUFValue} value @param {number} [elemType] */
  set(key, type, value, elemType) {
    if (this.kv.has(key)) throw new GGUFError(`duplicate key '${key}'`);
    if (type === ValueType.ARRAY && elemType === undefined) throw new GGUFError(`array '${key}' needs an element type`);
    this.kv.set(key, elemType === undefined ? { type, value } : { type, value, elemType });
    return this;
  }
  /** @param {string} key @param {string} v */ string(key, v) { return this.set(key, ValueType.STRING, v); }
  /** @param {string} key @param {number} v */ u32(key, v) { return this.set(key, ValueType.UINT32, v); }
  /** @param {string} key @param {number} v */ i32(key, v) { return this.set(key, ValueType.INT32, v); }
  /** @param {string} key @param {number} v */ f32(key, v) { return this.set(key, ValueType.FLOAT32, v); }
  /** @param {string} key @param {boolean} v */ bool(key, v) { return this.set(key, ValueType.BOOL, v); }
  /** @param {string} key @param {number} elemType @param {GGUFValue[] | ArrayLike<number>} values */
  array(key, elemType, values) { return this.set(key, ValueType.ARRAY, /** @type {GGUFValue} */ (values), elemType); }

  /**
   * Adds a tensor. `dims` are ggml's ne (ne[0] contiguous: a [out, in] weight is [in, out]).
   * @param {string} name @param {number[]} dims @param {number} type @param {TensorData} data
   */
  tensor(name, dims, type, data) {
    if (this.tensors.some((t) => t.name === name)) throw new GGUFError(`duplicate tensor '${name}'`);
    const nBytes = tensorNBytes(type, dims);
    if (nBytes === null) throw new GGUFError(`cannot size tensor type ${type}`);
    if (typeof data !== 'function' && data.length !== nBytes) {
      throw new GGUFError(`tensor '${name}' has ${data.length} bytes, its type and dims need ${nBytes}`);
    }
    this.tensors.push({ name, dims: [...dims], type, data, nBytes });
    return this;
  }

  /** Where everything will be: byte offsets of the sections and of each tensor's data. */
  /**
   * Where everything will be: the file offset of each metadata entry and tensor info (for tests that cut or
   * corrupt a file at a given section), the data section, and each tensor's data (offset relative to the data
   * section, as stored in the file).
   */
  layout() {
    /** @type {{ kvOffsets: number[], tensorInfoOffsets: number[] }} */
    const sections = { kvOffsets: [], tensorInfoOffsets: [] };
    const meta = this.metadata(sections);
    let offset = 0;
    const tensors = this.tensors.map((t) => {
      const at = offset;
      offset += this.pad(t.nBytes);
      return { name: t.name, offset: at, nBytes: t.nBytes };
    });
    const dataOffset = this.pad(meta.length);
    return { ...sections, metadataBytes: meta.length, dataOffset, tensors, totalBytes: dataOffset + offset };
  }

  /** The whole file in memory (for small files and tests). */
  toBuffer() {
    /** @type {Buffer[]} */
    const parts = [];
    this.emit((b) => parts.push(Buffer.from(b.buffer, b.byteOffset, b.length)));
    return Buffer.concat(parts);
  }

  /** Writes the file, streaming tensor data chunk by chunk. Returns the number of bytes written. @param {string} path */
  writeFile(path) {
    const fd = openSync(path, 'w');
    try {
      return this.emit((b) => {
        let done = 0;
        while (done < b.length) done += writeSync(fd, b, done, b.length - done);
      });
    } finally {
      closeSync(fd);
    }
  }

  /** @param {number} n */
  pad(n) { return Math.ceil(n / this.alignment) * this.alignment; }

  /** @param {{ kvOffsets: number[], tensorInfoOffsets: number[] }} [sections] filled with entry offsets */
  metadata(sections) {
    const out = new Builder();
    out.u32(GGUF_MAGIC);
    out.u32(GGUF_VERSION);
    out.u64(this.tensors.length);
    out.u64(this.kv.size);
    for (const [key, { type, value, elemType }] of this.kv) {
      sections?.kvOffsets.push(out.length);
      out.str(key);
      out.u32(type);
      if (type !== ValueType.ARRAY) {
        writeScalar(out, type, value);
        continue;
      }
      const values = /** @type {ArrayLike<GGUFValue>} */ (value);
      out.u32(/** @type {number} */ (elemType));
      out.u64(values.length);
      for (let i = 0; i < values.length; i++) writeScalar(out, /** @type {number} */ (elemType), values[i]);
    }
    let offset = 0;
    for (const t of this.tensors) {
      sections?.tensorInfoOffsets.push(out.length);
      out.str(t.name);
      out.u32(t.dims.length);
      for (const d of t.dims) out.u64(d);
      out.u32(t.type);
      out.u64(offset);
      offset += this.pad(t.nBytes);
    }
    return out.build();
  }

  /** @param {(b: Uint8Array) => void} sink @returns {number} bytes emitted */
  emit(sink) {
    const meta = this.metadata();
    sink(meta);
    let total = meta.length;
    const padTo = (/** @type {number} */ n) => {
      const p = this.pad(n) - n;
      if (p > 0) sink(Buffer.alloc(p));
      return p;
    };
    total += padTo(meta.length);
    for (const t of this.tensors) {
      let written = 0;
      const chunks = typeof t.data === 'function' ? t.data() : [t.data];
      for (const chunk of chunks) {
        written += chunk.length;
        if (written > t.nBytes) throw new GGUFError(`tensor '${t.name}' produced more than its ${t.nBytes} bytes`);
        sink(chunk);
      }
      if (written !== t.nBytes) throw new GGUFError(`tensor '${t.name}' produced ${written} of its ${t.nBytes} bytes`);
      total += written + padTo(written);
    }
    return total;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Command line

/** @param {GGUFValue} v @returns {string} */
function show(v) {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? v.slice(0, 77) + '...' : v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object' && v !== null && 'length' in v) {
    /** @type {string[]} */
    const items = Array.from(/** @type {ArrayLike<GGUFScalar>} */ (v)).slice(0, 4).map(show);
    return `[${items.join(', ')}${v.length > 4 ? `, ... (${v.length})` : ''}]`;
  }
  return String(v);
}

/** @param {string[]} args */
function main(args) {
  const [cmd, file] = args;
  if (cmd !== 'info' || !file) {
    process.stderr.write('usage: node tools/gguf.mjs info FILE.gguf\n');
    return 2;
  }
  const g = readGGUF(file);
  const lines = [`GGUF v${g.version}, ${g.fileSize} bytes, alignment ${g.alignment}, data at ${g.dataOffset}`];
  for (const [k, { value }] of g.kv) lines.push(`  ${k} = ${show(value)}`);
  lines.push(`${g.tensors.length} tensors:`);
  for (const t of g.tensors) {
    lines.push(`  ${t.name}  ${TENSOR_TYPE_NAMES[t.type] ?? t.type}  [${t.dims.join(', ')}]  offset ${t.offset}  ${t.nBytes ?? '?'} bytes`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
