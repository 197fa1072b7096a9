"""A small GGUF v3 writer and reader (little-endian), with the I2_S (bitnet.cpp, x86 layout) and Q8_0 encoders.

Layout (ggml's gguf): header "GGUF", u32 version, u64 n_tensors, u64 n_kv; the key-value pairs; the tensor infos
(name, n_dims, ne[], type, offset); padding to the alignment (32); tensor data, each tensor padded to 32.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

ALIGN = 32
T_F32, T_F16, T_Q8_0, T_I2_S = 0, 1, 8, 36
V_U8, V_I8, V_U16, V_I16, V_U32, V_I32, V_F32, V_BOOL, V_STR, V_ARR, V_U64, V_I64, V_F64 = range(13)


def i2s_bytes(codes: np.ndarray, scale: float) -> bytes:
    """bitnet.cpp I2_S (x86, QK_I2_S = 128): codes {-1,0,1} of a row-major [rows][ne0] tensor. Each block of 128
    elements takes 32 bytes; byte k of a block holds elements k, k+32, k+64, k+96 in bits 7:6, 5:4, 3:2, 1:0 as
    code + 1. After the n/4 packed bytes: the f32 scale and 28 bytes of padding (n/4 + 32 bytes in all)."""
    c = (codes.reshape(-1).astype(np.int16) + 1).astype(np.uint8)
    if c.size % 128:
        raise ValueError("I2_S needs a multiple of 128 elements")
    blk = c.reshape(-1, 4, 32)                                 # [block][group j//32][position j%32]
    packed = (blk[:, 0] << 6) | (blk[:, 1] << 4) | (blk[:, 2] << 2) | blk[:, 3]
    return packed.astype(np.uint8).tobytes() + struct.pack("<f", scale) + bytes(28)


def i2s_decode(buf: bytes, n: int) -> tuple[np.ndarray, float]:
    q = np.frombuffer(buf, dtype=np.uint8, count=n // 4).reshape(-1, 32)
    codes = np.stack([(q >> 6) & 3, (q >> 4) & 3, (q >> 2) & 3, q & 3], axis=1).reshape(-1).astype(np.int8) - 1
    (scale,) = struct.unpack_from("<f", buf, n // 4)
    return codes, scale


def q8_0_bytes(d16: np.ndarray, q: np.ndarray) -> bytes:
    """ggml block_q8_0 {f16 d; int8 qs[32]} for rows of q (int8, [rows][ne0]) with d16 (f16, [rows][ne0/32])."""
    nb = q.shape[1] // 32
    blocks = np.zeros((q.shape[0], nb), dtype=[("d", "<f2"), ("qs", "i1", 32)])
    blocks["d"] = d16.astype("<f2")
    blocks["qs"] = q.reshape(q.shape[0], nb, 32)
    return blocks.tobytes()


@dataclass
class Tensor:
    name: str
    ne: tuple[int, ...]
    type: int
    data: bytes


class Writer:
    def __init__(self) -> None:
        self.kv: list[tuple[str, int, object, int | None]] = []
        self.tensors: list[Tensor] = []

    def add(self, key: str, vtype: int, value: object, elem: int | None = None) -> None:
        self.kv.append((key, vtype, value, elem))

    def tensor(self, name: str, ne: tuple[int, ...], ttype: int, data: bytes) -> None:
        self.tensors.append(Tensor(name, ne, ttype, data))

    @staticmethod
    def _str(s: str) -> bytes:
        b = s.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def _value(self, vtype: int, v: object, elem: int | None) -> bytes:
        fmt = {V_U8: "<B", V_I8: "<b", V_U16: "<H", V_I16: "<h", V_U32: "<I", V_I32: "<i", V_F32: "<f",
               V_U64: "<Q", V_I64: "<q", V_F64: "<d"}
        if vtype in fmt:
            return struct.pack(fmt[vtype], v)
        if vtype == V_BOOL:
            return struct.pack("<B", 1 if v else 0)
        if vtype == V_STR:
            return self._str(str(v))
        if vtype == V_ARR:
            assert elem is not None
            items = list(v)  # type: ignore[arg-type]
            head = struct.pack("<IQ", elem, len(items))
            if elem == V_STR:
                return head + b"".join(self._str(x) for x in items)
            return head + np.asarray(items, dtype={V_I32: "<i4", V_F32: "<f4", V_U32: "<u4"}[elem]).tobytes()
        raise ValueError(vtype)

    def write(self, path: str) -> int:
        out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv)))
        for key, vtype, value, elem in self.kv:
            out += self._str(key) + struct.pack("<I", vtype) + self._value(vtype, value, elem)
        offset = 0
        offsets = []
        for t in self.tensors:
            offsets.append(offset)
            offset += (len(t.data) + ALIGN - 1) // ALIGN * ALIGN
        for t, off in zip(self.tensors, offsets):
            out += self._str(t.name) + struct.pack("<I", len(t.ne)) + struct.pack(f"<{len(t.ne)}Q", *t.ne)
            out += struct.pack("<IQ", t.type, off)
        out += bytes((-len(out)) % ALIGN)
        for t in self.tensors:
            out += t.data + bytes((-len(t.data)) % ALIGN)
        with open(path, "wb") as f:
            f.write(out)
        return len(out)


def read(path: str) -> tuple[dict[str, object], dict[str, tuple[tuple[int, ...], int, bytes]]]:
    """Reads a GGUF file: (kv, {name: (ne, type, data)}). I2_S data is n/4 + 32 bytes, Q8_0 34 per 32."""
    buf = open(path, "rb").read()
    at = 0

    def take(fmt: str):
        nonlocal at
        v = struct.unpack_from(fmt, buf, at)
        at += struct.calcsize(fmt)
        return v if len(v) > 1 else v[0]

    def s() -> str:
        n = take("<Q")
        nonlocal at
        v = buf[at:at + n].decode("utf-8")
        at += n
        return v

    def val(t: int):
        fmt = {V_U8: "<B", V_I8: "<b", V_U16: "<H", V_I16: "<h", V_U32: "<I", V_I32: "<i", V_F32: "<f",
               V_U64: "<Q", V_I64: "<q", V_F64: "<d", V_BOOL: "<B"}
        if t in fmt:
            return take(fmt[t])
        if t == V_STR:
            return s()
        et, n = take("<I"), take("<Q")
        return [val(et) for _ in range(n)]

    assert buf[:4] == b"GGUF"
    at = 4
    version, n_t, n_kv = take("<I"), take("<Q"), take("<Q")
    assert version == 3
    kv: dict[str, object] = {}
    for _ in range(n_kv):
        k = s()
        kv[k] = val(take("<I"))
    infos = []
    for _ in range(n_t):
        name = s()
        nd = take("<I")
        ne = tuple(take("<Q") for _ in range(nd))
        infos.append((name, ne, take("<I"), take("<Q")))
    align = int(kv.get("general.alignment", ALIGN))  # type: ignore[arg-type]
    start = (at + align - 1) // align * align
    tensors = {}
    for name, ne, tt, off in infos:
        n = int(np.prod(ne))
        size = {T_F32: 4 * n, T_F16: 2 * n, T_Q8_0: n // 32 * 34, T_I2_S: n // 4 + 32}[tt]
        tensors[name] = (ne, tt, buf[start + off:start + off + size])
    return kv, tensors
