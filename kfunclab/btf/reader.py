"""The raw BTF format: header, type section, string section (include/uapi/linux/btf.h).

:class:`RawBtf` indexes a blob in one pass over the type section, seen as an array of 32-bit
words (every record and its trailing data are 4-byte multiples). The pass records where each type
id starts and its kind; names and details are decoded only when asked for. That keeps loading
``/sys/kernel/btf/vmlinux`` (5 MB, ~130k types) to a fraction of a second.

>>> import struct
>>> strings = b"\\0int\\0"
>>> types = struct.pack("<IIII", 1, 1 << 24, 4, (1 << 24) | 32)  # [1] INT 'int' size=4 signed
>>> blob = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
>>> RawBtf(blob + types + strings).decode(1)
Int(id=1, kind=<BtfKind.INT: 1>, name='int', size=4, encoding=1, bits=32, bit_offset=0)
"""

from __future__ import annotations

import struct
import sys
from array import array

from kfunclab.btf.types import (
    AnyType,
    Array,
    BtfKind,
    Composite,
    Datasec,
    DeclTag,
    Enum,
    EnumValue,
    Float,
    Func,
    FuncProto,
    Fwd,
    Int,
    Linkage,
    Member,
    Modifier,
    Param,
    Ptr,
    Var,
    VarSecinfo,
    Void,
)
from kfunclab.errors import BtfError

BTF_MAGIC = 0xEB9F
BTF_VERSION = 1
HEADER = struct.Struct("<HBBIIIII")  # magic, version, flags, hdr_len, type_off/len, str_off/len
MAX_KIND = max(BtfKind)

# Words of trailing data after the 3-word ``struct btf_type``: a fixed part per kind plus a part
# per vlen entry. -1 marks a kind number the format does not define.
_FIXED = [-1] * 32
_PER_VLEN = [0] * 32
for _kind in BtfKind:
    _FIXED[_kind] = 0
_FIXED[BtfKind.UNKN] = -1  # only a snapshot may hold kind 0 records (see allow_holes)
_FIXED[BtfKind.INT] = 1
_FIXED[BtfKind.ARRAY] = 3
_FIXED[BtfKind.VAR] = 1
_FIXED[BtfKind.DECL_TAG] = 1
for _kind, _words in ((BtfKind.STRUCT, 3), (BtfKind.UNION, 3), (BtfKind.ENUM, 2),
                      (BtfKind.FUNC_PROTO, 2), (BtfKind.DATASEC, 3), (BtfKind.ENUM64, 3)):
    _PER_VLEN[_kind] = _words

#: Kinds whose vlen entries start with a name offset, and the entry size in words.
NAMED_ENTRIES = {BtfKind.STRUCT: 3, BtfKind.UNION: 3, BtfKind.ENUM: 2, BtfKind.FUNC_PROTO: 2,
                 BtfKind.ENUM64: 3}


def record_words(kind: int, vlen: int) -> int:
    """Length in 32-bit words of a record of ``kind`` with ``vlen`` entries (header included)."""
    return 3 + max(_FIXED[kind], 0) + _PER_VLEN[kind] * vlen


def _s32(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


class RawBtf:
    """An indexed raw BTF blob.

    Parameters
    ----------
    data:
        The whole blob: header, then the sections it points at.
    source:
        Where the blob came from, for error messages.
    allow_holes:
        Accept kind-0 records. The bundled snapshot uses them for the type ids it leaves out, so
        that the ids it keeps are the kernel's own; the kernel itself rejects kind 0.
    """

    def __init__(self, data: bytes, source: str = "<bytes>", allow_holes: bool = False) -> None:
        self.source = source
        if len(data) < HEADER.size:
            raise BtfError(f"BTF {source}: truncated header ({len(data)} bytes, need "
                           f"{HEADER.size})")
        magic = struct.unpack_from("<H", data)[0]
        if magic == BTF_MAGIC:
            endian = "<"
        elif magic == 0x9FEB:
            endian = ">"
        else:
            raise BtfError(f"BTF {source}: bad magic 0x{magic:04x} at offset 0 "
                           f"(expected 0x{BTF_MAGIC:04x})")
        _, version, flags, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(
            endian + HEADER.format[1:], data)
        self._check_header(data, version, flags, hdr_len, type_off, type_len, str_off, str_len)
        type_start = hdr_len + type_off
        str_start = hdr_len + str_off
        self.strings: bytes = bytes(data[str_start:str_start + str_len])
        self.words = array("I")
        self.words.frombytes(data[type_start:type_start + type_len])
        if (endian == "<") != (sys.byteorder == "little"):
            self.words.byteswap()
        self.type_section_offset = type_start
        self._names: dict[int, str] = {}
        self._decoded: dict[int, AnyType] = {}
        self._by_name_off: dict[int, list[int]] | None = None
        self.offsets, self.kinds = self._scan(allow_holes)
        self._check_name_offsets()

    def _check_header(self, data: bytes, version: int, flags: int, hdr_len: int, type_off: int,
                      type_len: int, str_off: int, str_len: int) -> None:
        src = f"BTF {self.source}"
        if version != BTF_VERSION:
            raise BtfError(f"{src}: unsupported version {version} at offset 2 (expected 1)")
        if flags:
            raise BtfError(f"{src}: unsupported flags 0x{flags:x} at offset 3 (expected 0)")
        if hdr_len < HEADER.size or hdr_len > len(data):
            raise BtfError(f"{src}: header length {hdr_len} at offset 4 is outside "
                           f"{HEADER.size}..{len(data)}")
        for what, off, length in (("type", type_off, type_len), ("string", str_off, str_len)):
            if hdr_len + off + length > len(data):
                raise BtfError(f"{src}: {what} section [{hdr_len + off}, "
                               f"{hdr_len + off + length}) runs past the end of the data "
                               f"({len(data)} bytes)")
        if type_off % 4 or type_len % 4:
            raise BtfError(f"{src}: type section offset {type_off} / length {type_len} is not "
                           f"a multiple of 4")
        if type_off < str_off + str_len and str_off < type_off + type_len:
            raise BtfError(f"{src}: type section [{type_off}, {type_off + type_len}) overlaps "
                           f"string section [{str_off}, {str_off + str_len})")
        start = hdr_len + str_off
        if str_len == 0 or data[start] != 0 or data[start + str_len - 1] != 0:
            raise BtfError(f"{src}: string section at offset {start} must start and end with "
                           f"a NUL byte")

    def _scan(self, allow_holes: bool) -> tuple[array, bytearray]:
        """One pass over the type section: the word index and kind of every type id."""
        words = self.words
        n = len(words)
        fixed = list(_FIXED)
        if allow_holes:
            fixed[BtfKind.UNKN] = 0
        per_vlen = _PER_VLEN
        offsets = array("I", [0])  # id 0 is void and has no record
        kinds = bytearray(1)
        add_offset = offsets.append
        add_kind = kinds.append
        i = 0
        while i < n:
            if i + 3 > n:
                self._overrun(len(offsets), i, None)
            info = words[i + 1]
            kind = (info >> 24) & 0x1F
            extra = fixed[kind]
            if extra < 0:
                raise BtfError(f"BTF {self.source}: type [{len(offsets)}] at type-section offset "
                               f"{i * 4} has unknown kind {kind}")
            add_offset(i)
            add_kind(kind)
            i += 3 + extra + per_vlen[kind] * (info & 0xFFFF)
        if i > n:
            last = len(offsets) - 1
            self._overrun(last, offsets[last], BtfKind(kinds[last]))
        return offsets, kinds

    def _check_name_offsets(self) -> None:
        # Type names only: member, parameter and enumerator names are checked when decoded.
        words, limit = self.words, len(self.strings)
        name_offs = [words[i] for i in self.offsets[1:]]
        if name_offs and max(name_offs) >= limit:
            bad = next(t for t, off in enumerate(name_offs) if off >= limit)
            self.string(name_offs[bad], bad + 1)

    def _overrun(self, type_id: int, word: int, kind: BtfKind | None) -> None:
        what = f" ({kind.name})" if kind is not None else ""
        raise BtfError(f"BTF {self.source}: type [{type_id}]{what} at type-section offset "
                       f"{word * 4} runs past the end of the type section "
                       f"({len(self.words) * 4} bytes)")

    # -- cheap per-id facts ---------------------------------------------------------------

    def __len__(self) -> int:
        """Number of type ids, counting void (id 0), like the kernel's ``nr_types``."""
        return len(self.offsets)

    def kind(self, type_id: int) -> BtfKind:
        return BtfKind(self.kinds[type_id])

    def name_off(self, type_id: int) -> int:
        return self.words[self.offsets[type_id]] if type_id else 0

    def vlen(self, type_id: int) -> int:
        return self.words[self.offsets[type_id] + 1] & 0xFFFF if type_id else 0

    def string(self, off: int, type_id: int | None = None) -> str:
        """The NUL-terminated string at ``off`` in the string section."""
        cached = self._names.get(off)
        if cached is not None:
            return cached
        if off >= len(self.strings):
            owner = f"type [{type_id}] " if type_id is not None else ""
            raise BtfError(f"BTF {self.source}: {owner}name offset {off} is outside the string "
                           f"section ({len(self.strings)} bytes)")
        end = self.strings.index(b"\0", off)
        text = self.strings[off:end].decode("utf-8", "replace")
        self._names[off] = text
        return text

    def name(self, type_id: int) -> str:
        return self.string(self.name_off(type_id), type_id)

    # -- lookups ----------------------------------------------------------------------------

    def ids_named(self, name: str) -> list[int]:
        """Every type id whose name is ``name``, in id order."""
        if self._by_name_off is None:
            self._by_name_off = self._build_name_index()
        needle = name.encode() + b"\0"
        found: list[int] = []
        pos = self.strings.find(needle, 1)
        while pos >= 0:
            found.extend(self._by_name_off.get(pos, ()))
            pos = self.strings.find(needle, pos + 1)
        return sorted(found)

    def _build_name_index(self) -> dict[int, list[int]]:
        words = self.words
        index: dict[int, list[int]] = {}
        name_offs = [words[i] for i in self.offsets]
        for type_id in range(1, len(name_offs)):
            off = name_offs[type_id]
            if off:
                bucket = index.get(off)
                if bucket is None:
                    index[off] = [type_id]
                else:
                    bucket.append(type_id)
        return index

    def ids_of_kind(self, kind: BtfKind) -> list[int]:
        """Every type id of ``kind``, in id order (a byte search, not a decode)."""
        kinds = self.kinds
        needle = bytes([kind])
        found: list[int] = []
        pos = kinds.find(needle, 1)
        while pos >= 0:
            found.append(pos)
            pos = kinds.find(needle, pos + 1)
        return found

    # -- decoding ---------------------------------------------------------------------------

    def decode(self, type_id: int) -> AnyType:
        """The record of ``type_id`` as a :mod:`kfunclab.btf.types` value (cached)."""
        cached = self._decoded.get(type_id)
        if cached is not None:
            return cached
        if not 0 <= type_id < len(self.offsets):
            raise BtfError(f"BTF {self.source}: type id {type_id} out of range "
                           f"(0..{len(self.offsets) - 1})")
        value = Void(0, BtfKind.UNKN, "") if type_id == 0 else self._decode(type_id)
        self._decoded[type_id] = value
        return value

    def _decode(self, tid: int) -> AnyType:
        w = self.words
        i = self.offsets[tid]
        info = w[i + 1]
        kind = BtfKind((info >> 24) & 0x1F)
        vlen = info & 0xFFFF
        kflag = bool(info >> 31)
        name = self.string(w[i], tid)
        st = w[i + 2]
        j = i + 3
        if kind is BtfKind.INT:
            extra = w[j]
            return Int(tid, kind, name, st, (extra >> 24) & 0x0F, extra & 0xFF,
                       (extra >> 16) & 0xFF)
        if kind is BtfKind.PTR:
            return Ptr(tid, kind, name, st)
        if kind in (BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT,
                    BtfKind.TYPE_TAG):
            return Modifier(tid, kind, name, st, kflag)
        if kind is BtfKind.ARRAY:
            return Array(tid, kind, name, w[j], w[j + 1], w[j + 2])
        if kind in (BtfKind.STRUCT, BtfKind.UNION):
            members = []
            for k in range(j, j + 3 * vlen, 3):
                off = w[k + 2]
                bits, size = (off & 0xFFFFFF, off >> 24) if kflag else (off, 0)
                members.append(Member(self.string(w[k], tid), w[k + 1], bits, size))
            return Composite(tid, kind, name, st, tuple(members), kflag)
        if kind is BtfKind.ENUM:
            values = tuple(EnumValue(self.string(w[k], tid), _s32(w[k + 1]) if kflag else w[k + 1])
                           for k in range(j, j + 2 * vlen, 2))
            return Enum(tid, kind, name, st, values, kflag)
        if kind is BtfKind.ENUM64:
            vals = []
            for k in range(j, j + 3 * vlen, 3):
                value = w[k + 1] | (w[k + 2] << 32)
                if kflag and value >> 63:
                    value -= 1 << 64
                vals.append(EnumValue(self.string(w[k], tid), value))
            return Enum(tid, kind, name, st, tuple(vals), kflag)
        if kind is BtfKind.FWD:
            return Fwd(tid, kind, name, kflag)
        if kind is BtfKind.FUNC:
            return Func(tid, kind, name, st, _linkage(vlen))
        if kind is BtfKind.FUNC_PROTO:
            params = tuple(Param(self.string(w[k], tid), w[k + 1])
                           for k in range(j, j + 2 * vlen, 2))
            return FuncProto(tid, kind, name, st, params)
        if kind is BtfKind.VAR:
            return Var(tid, kind, name, st, _linkage(w[j]))
        if kind is BtfKind.DATASEC:
            secinfo = tuple(VarSecinfo(w[k], w[k + 1], w[k + 2])
                            for k in range(j, j + 3 * vlen, 3))
            return Datasec(tid, kind, name, st, secinfo)
        if kind is BtfKind.FLOAT:
            return Float(tid, kind, name, st)
        if kind is BtfKind.DECL_TAG:
            return DeclTag(tid, kind, name, st, _s32(w[j]), kflag)
        raise BtfError(f"BTF {self.source}: type [{tid}] is a kind-0 placeholder, not a type")


def _linkage(value: int) -> Linkage:
    try:
        return Linkage(value)
    except ValueError:
        raise BtfError(f"unknown linkage {value}") from None
