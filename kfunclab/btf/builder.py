"""Write small raw BTF blobs by hand: the fixtures of tests and docstrings.

Each ``add_*`` method appends one record and returns its type id (ids start at 1, in call
order, exactly as the kernel numbers them), so a fixture reads like ``bpftool btf dump``.

>>> b = BtfBuilder()
>>> i = b.add_int("int", 4, signed=True)
>>> b.add_ptr(i)
2
>>> len(b.build())
57
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from kfunclab.btf.reader import BTF_MAGIC, HEADER
from kfunclab.btf.types import BtfKind, IntEncoding, Linkage


class BtfBuilder:
    """Accumulates type records and strings; :meth:`build` returns the blob."""

    def __init__(self) -> None:
        self._records: list[bytes] = []
        self._strings = bytearray(b"\0")
        self._offsets: dict[str, int] = {"": 0}

    def string(self, text: str) -> int:
        """The string-section offset of ``text``, adding it once."""
        off = self._offsets.get(text)
        if off is None:
            off = len(self._strings)
            self._strings += text.encode() + b"\0"
            self._offsets[text] = off
        return off

    def add_raw(self, kind: int, name: str = "", vlen: int = 0, size_or_type: int = 0,
                extra: bytes = b"", kind_flag: bool = False) -> int:
        """Append a record as is (any kind number, any vlen): for malformed-BTF tests."""
        info = (int(kind_flag) << 31) | ((kind & 0x1F) << 24) | (vlen & 0xFFFF)
        self._records.append(struct.pack("<III", self.string(name), info, size_or_type) + extra)
        return len(self._records)

    def add_int(self, name: str, size: int, signed: bool = False, bits: int | None = None,
                encoding: int | None = None) -> int:
        enc = encoding if encoding is not None else (IntEncoding.SIGNED if signed else 0)
        nbits = bits if bits is not None else size * 8
        return self.add_raw(BtfKind.INT, name, 0, size, struct.pack("<I", (enc << 24) | nbits))

    def add_float(self, name: str, size: int) -> int:
        return self.add_raw(BtfKind.FLOAT, name, 0, size)

    def add_ptr(self, target: int) -> int:
        return self.add_raw(BtfKind.PTR, "", 0, target)

    def add_typedef(self, name: str, target: int) -> int:
        return self.add_raw(BtfKind.TYPEDEF, name, 0, target)

    def add_const(self, target: int) -> int:
        return self.add_raw(BtfKind.CONST, "", 0, target)

    def add_volatile(self, target: int) -> int:
        return self.add_raw(BtfKind.VOLATILE, "", 0, target)

    def add_restrict(self, target: int) -> int:
        return self.add_raw(BtfKind.RESTRICT, "", 0, target)

    def add_type_tag(self, value: str, target: int, attribute: bool = False) -> int:
        return self.add_raw(BtfKind.TYPE_TAG, value, 0, target, kind_flag=attribute)

    def add_array(self, elem: int, index: int, nelems: int) -> int:
        return self.add_raw(BtfKind.ARRAY, "", 0, 0, struct.pack("<III", elem, index, nelems))

    def add_struct(self, name: str, size: int,
                   members: Sequence[tuple[str, int, int] | tuple[str, int, int, int]],
                   union: bool = False) -> int:
        """``members`` are ``(name, type, bit_offset[, bitfield_size])``; any bitfield sets the
        kind_flag, so every offset is then encoded with its bitfield size."""
        kind_flag = any(len(m) > 3 and m[3] for m in members)
        extra = b""
        for m in members:
            bits = m[2] | ((m[3] if len(m) > 3 else 0) << 24) if kind_flag else m[2]
            extra += struct.pack("<III", self.string(m[0]), m[1], bits)
        kind = BtfKind.UNION if union else BtfKind.STRUCT
        return self.add_raw(kind, name, len(members), size, extra, kind_flag)

    def add_enum(self, name: str, values: Sequence[tuple[str, int]], size: int = 4,
                 signed: bool = False) -> int:
        extra = b"".join(struct.pack("<Ii", self.string(n), v) if signed
                         else struct.pack("<II", self.string(n), v & 0xFFFFFFFF)
                         for n, v in values)
        return self.add_raw(BtfKind.ENUM, name, len(values), size, extra, signed)

    def add_enum64(self, name: str, values: Sequence[tuple[str, int]], signed: bool = False) -> int:
        extra = b"".join(struct.pack("<III", self.string(n), v & 0xFFFFFFFF,
                                     (v >> 32) & 0xFFFFFFFF) for n, v in values)
        return self.add_raw(BtfKind.ENUM64, name, len(values), 8, extra, signed)

    def add_fwd(self, name: str, union: bool = False) -> int:
        return self.add_raw(BtfKind.FWD, name, 0, 0, kind_flag=union)

    def add_func_proto(self, ret: int, params: Sequence[tuple[str, int]]) -> int:
        extra = b"".join(struct.pack("<II", self.string(n), t) for n, t in params)
        return self.add_raw(BtfKind.FUNC_PROTO, "", len(params), ret, extra)

    def add_func(self, name: str, proto: int, linkage: Linkage = Linkage.GLOBAL) -> int:
        return self.add_raw(BtfKind.FUNC, name, linkage, proto)

    def add_var(self, name: str, type_id: int, linkage: Linkage = Linkage.GLOBAL) -> int:
        return self.add_raw(BtfKind.VAR, name, 0, type_id, struct.pack("<I", linkage))

    def add_datasec(self, name: str, size: int, vars_: Sequence[tuple[int, int, int]]) -> int:
        extra = b"".join(struct.pack("<III", *v) for v in vars_)
        return self.add_raw(BtfKind.DATASEC, name, len(vars_), size, extra)

    def add_decl_tag(self, value: str, target: int, component_idx: int = -1) -> int:
        return self.add_raw(BtfKind.DECL_TAG, value, 0, target, struct.pack("<i", component_idx))

    def build(self) -> bytes:
        """Header + type section + string section, little-endian."""
        types = b"".join(self._records)
        strings = bytes(self._strings)
        header = HEADER.pack(BTF_MAGIC, 1, 0, HEADER.size, 0, len(types), len(types),
                             len(strings))
        return header + types + strings
