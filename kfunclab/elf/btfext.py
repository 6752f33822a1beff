"""``.BTF.ext``: func_info, line_info and CO-RE relocation records of a BPF object.

The layout is ``struct btf_ext_header`` (include/uapi/linux/btf.h, tools/lib/bpf/libbpf_internal.h):
magic 0xEB9F, version, flags, hdr_len, then (offset, length) pairs of the func_info,
line_info and (when ``hdr_len >= 32``) core_relo parts, relative to the header's end. Each part
starts with its record size, then per ELF section: the section name (an offset into ``.BTF``'s
strings), a record count and the records. Instruction offsets are in bytes from the start of
the section.

>>> import struct
>>> hdr = struct.pack("<HBBIIIIII", 0xEB9F, 1, 0, 24, 0, 4, 4, 4)
>>> ext = read_btf_ext(hdr + struct.pack("<I", 8) + struct.pack("<I", 16), lambda off: "?")
>>> ext.func_info, ext.line_info
({}, {})
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from kfunclab.errors import BtfError

BTF_EXT_MAGIC = 0xEB9F


@dataclass(frozen=True, slots=True)
class FuncInfo:
    """``struct bpf_func_info``: the function starting at ``insn_off`` (bytes) has ``type_id``."""

    insn_off: int
    type_id: int


@dataclass(frozen=True, slots=True)
class LineInfo:
    """``struct bpf_line_info``: the C line an instruction (at ``insn_off`` bytes) came from."""

    insn_off: int
    file: str
    text: str
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class CoreRelo:
    """``struct bpf_core_relo``: patch the instruction at ``insn_off`` (bytes) per ``kind``.

    ``access`` is the access string (``"0:1:2"``) read from ``.BTF``'s strings.
    """

    insn_off: int
    type_id: int
    access: str
    kind: int


@dataclass(frozen=True)
class BtfExt:
    """Records per ELF section name."""

    func_info: dict[str, tuple[FuncInfo, ...]] = field(default_factory=dict)
    line_info: dict[str, tuple[LineInfo, ...]] = field(default_factory=dict)
    core_relos: dict[str, tuple[CoreRelo, ...]] = field(default_factory=dict)


def read_btf_ext(data: bytes, string: Callable[[int], str]) -> BtfExt:
    """Parse a ``.BTF.ext`` section; ``string(off)`` reads ``.BTF``'s string section.

    Raises :class:`~kfunclab.errors.BtfError` for a truncated or malformed section.
    """
    if len(data) < 8:
        raise BtfError(f".BTF.ext: {len(data)} bytes is too short for its header")
    magic, version, _flags, hdr_len = struct.unpack_from("<HBBI", data)
    if magic != BTF_EXT_MAGIC:
        raise BtfError(f".BTF.ext: bad magic {magic:#x} (expected 0xeb9f)")
    if version != 1 or hdr_len < 24 or hdr_len > len(data):
        raise BtfError(f".BTF.ext: version {version} with header length {hdr_len} not understood")
    fi_off, fi_len, li_off, li_len = struct.unpack_from("<IIII", data, 8)
    co_off = co_len = 0
    if hdr_len >= 32:
        co_off, co_len = struct.unpack_from("<II", data, 24)
    body = data[hdr_len:]
    func_info = _part(body, fi_off, fi_len, 8, "func_info", string,
                      lambda b, o: FuncInfo(*struct.unpack_from("<II", b, o)))

    def line(b: bytes, o: int) -> LineInfo:
        insn_off, file_off, line_off, line_col = struct.unpack_from("<IIII", b, o)
        return LineInfo(insn_off, string(file_off), string(line_off), line_col >> 10,
                        line_col & 0x3FF)

    def core(b: bytes, o: int) -> CoreRelo:
        insn_off, type_id, access_off, kind = struct.unpack_from("<IIII", b, o)
        return CoreRelo(insn_off, type_id, string(access_off), kind)

    line_info = _part(body, li_off, li_len, 16, "line_info", string, line)
    core_relos = _part(body, co_off, co_len, 16, "core_relo", string, core) if co_len else {}
    return BtfExt(func_info, line_info, core_relos)


def _part(body: bytes, off: int, length: int, min_rec: int, what: str,
          string: Callable[[int], str], make: Callable[[bytes, int], object]) -> dict:
    if not length:
        return {}
    if off + length > len(body) or length < 4:
        raise BtfError(f".BTF.ext: the {what} part ({off}+{length}) is outside the section")
    part = body[off:off + length]
    rec_size = struct.unpack_from("<I", part)[0]
    if rec_size < min_rec:
        raise BtfError(f".BTF.ext: {what} record size {rec_size} < {min_rec}")
    out: dict[str, tuple] = {}
    pos = 4
    while pos < len(part):
        if pos + 8 > len(part):
            raise BtfError(f".BTF.ext: truncated {what} section header at {pos}")
        sec_off, count = struct.unpack_from("<II", part, pos)
        pos += 8
        if pos + count * rec_size > len(part):
            raise BtfError(f".BTF.ext: {what} of section at {pos} runs past the part")
        records = tuple(make(part, pos + i * rec_size) for i in range(count))
        out[string(sec_off)] = out.get(string(sec_off), ()) + records
        pos += count * rec_size
    return out
