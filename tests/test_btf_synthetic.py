"""The BTF reader and model on blobs built in the test, not only on the shipped snapshot.

Large structs (members past 64 KiB, bitfields past 8 KiB with kind_flag set, where a 16-bit
mask would lose bits), every kind through the model, and malformed input raising BtfError.
Offsets follow include/uapi/linux/btf.h: without kind_flag ``offset`` is the member's bit
offset (32 bits); with it, bits 0-23 are the bit offset and bits 24-31 the bitfield size
(BTF_MEMBER_BIT_OFFSET / BTF_MEMBER_BITFIELD_SIZE).
"""

from __future__ import annotations

import struct

import pytest

from kfunclab.btf.builder import BtfBuilder
from kfunclab.btf.model import Btf
from kfunclab.btf.reader import HEADER, RawBtf
from kfunclab.btf.types import BtfKind, Composite, Enum, Linkage, Member
from kfunclab.btf.walk import Access, struct_access
from kfunclab.errors import BtfError

BIG = 0x12345  # a byte offset past 64 KiB whose low 16 bits (0x2345) are a different offset


def _big_struct() -> tuple[bytes, dict[str, int]]:
    """``struct big { u64 head; u32 pad[...]; u64 far @BIG; struct task *p @BIG+8; }`` and a
    bitfield struct ``bits`` with 5-bit fields past 8 KiB (bit offsets above 65535)."""
    b = BtfBuilder()
    ids: dict[str, int] = {}
    ids["u64"] = b.add_int("u64", 8)
    ids["u32"] = b.add_int("u32", 4)
    ids["task"] = b.add_struct("task", 16, [("pid", ids["u32"], 0), ("tgid", ids["u32"], 32)])
    ids["ptask"] = b.add_ptr(ids["task"])
    ids["arr"] = b.add_array(ids["u32"], ids["u32"], (BIG - 8) // 4)
    ids["big"] = b.add_struct("big", BIG + 16, [
        ("head", ids["u64"], 0), ("pad", ids["arr"], 64), ("far", ids["u64"], BIG * 8),
        ("p", ids["ptask"], (BIG + 8) * 8)])
    ids["bits"] = b.add_struct("bits", 8200, [
        ("lo", ids["u32"], 0, 3),
        ("hi", ids["u32"], 8192 * 8 + 3, 5),     # bit 65539: 17 bits of offset
        ("top", ids["u32"], 0xFFFFFF - 4, 5)])  # the largest 24-bit offset a bitfield may have
    return b.build(), ids


def test_members_past_64_kib_keep_their_offsets() -> None:
    blob, ids = _big_struct()
    t = RawBtf(blob).decode(ids["big"])
    assert isinstance(t, Composite) and not t.kind_flag
    assert [(m.name, m.bit_offset, m.bitfield_size) for m in t.members] == [
        ("head", 0, 0), ("pad", 64, 0), ("far", BIG * 8, 0), ("p", (BIG + 8) * 8, 0)]
    assert t.members[2].byte_offset == BIG


def test_bitfields_past_8_kib_with_kind_flag() -> None:
    blob, ids = _big_struct()
    t = RawBtf(blob).decode(ids["bits"])
    assert isinstance(t, Composite) and t.kind_flag
    assert t.members == (Member("lo", ids["u32"], 0, 3), Member("hi", ids["u32"], 65539, 5),
                         Member("top", ids["u32"], 0xFFFFFF - 4, 5))


def test_struct_access_finds_members_past_64_kib() -> None:
    """btf_struct_access() at the far offsets: the masked offset would name another member."""
    blob, ids = _big_struct()
    btf = Btf.from_bytes(blob, "big.btf")
    far = struct_access(btf, ids["big"], BIG, 8)
    assert (far.access, far.path) == (Access.SCALAR, "far")
    p = struct_access(btf, ids["big"], BIG + 8, 8)
    assert (p.access, p.path, p.btf_id) == (Access.PTR_TO_BTF_ID, "p", ids["task"])
    low = struct_access(btf, ids["big"], BIG & 0xFFFF, 4)
    assert low.path.startswith("pad[")  # 0x2345 is inside the padding array, not "far"
    assert btf.sizeof(ids["big"]) == BIG + 16
    assert btf.sizeof(ids["arr"]) == (BIG - 8) // 4 * 4


def test_big_struct_round_trips_through_the_model() -> None:
    blob, ids = _big_struct()
    btf = Btf.from_bytes(blob, "big.btf")
    assert btf.find("big", "STRUCT") == (ids["big"],)
    assert [m.bit_offset for m in btf.struct_members(ids["big"])][2:] == [BIG * 8, (BIG + 8) * 8]


def _every_kind() -> tuple[bytes, dict[str, int]]:
    b = BtfBuilder()
    ids: dict[str, int] = {}
    ids["int"] = b.add_int("int", 4, signed=True)
    ids["float"] = b.add_float("double", 8)
    ids["e64"] = b.add_enum64("big_flags", [("NEG", -1), ("HIGH", 1 << 62)], signed=True)
    ids["e64u"] = b.add_enum64("ubig", [("MAX", (1 << 64) - 1)])
    ids["enum"] = b.add_enum("small", [("A", -2), ("B", 7)], signed=True)
    ids["tag"] = b.add_type_tag("rcu", ids["int"])
    ids["attr"] = b.add_type_tag("attr", ids["int"], attribute=True)
    ids["ptr"] = b.add_ptr(ids["tag"])
    ids["s"] = b.add_struct("s", 16, [("a", ids["int"], 0), ("f", ids["float"], 64)])
    ids["proto"] = b.add_func_proto(ids["int"], [("x", ids["ptr"]), ("", 0)])  # variadic
    ids["func"] = b.add_func("kf", ids["proto"], Linkage.GLOBAL)
    ids["decl"] = b.add_decl_tag("bpf_kfunc", ids["func"], -1)
    ids["decl_arg"] = b.add_decl_tag("arg:nullable", ids["func"], 0)
    ids["var"] = b.add_var("counter", ids["int"], Linkage.GLOBAL)
    ids["sec"] = b.add_datasec(".data", 4, [(ids["var"], 0, 4)])
    return b.build(), ids


def test_every_kind_through_the_model() -> None:
    blob, ids = _every_kind()
    btf = Btf.from_bytes(blob, "kinds.btf")
    assert btf.kind(ids["float"]) is BtfKind.FLOAT and btf.sizeof(ids["float"]) == 8
    e64 = btf.type_by_id(ids["e64"])
    assert isinstance(e64, Enum) and [v.value for v in e64.values] == [-1, 1 << 62]
    assert btf.enum_values("ubig") == {"MAX": (1 << 64) - 1}
    assert btf.enum_values("small") == {"A": -2, "B": 7}
    assert btf.resolve(ids["ptr"] - 0).tags == ()
    assert btf.resolve(ids["tag"]).tags == ("rcu",) and btf.resolve(ids["tag"]).id == ids["int"]
    sig = btf.signature(ids["func"])
    assert sig.variadic and sig.params[0].name == "x"
    assert btf.decl_tags(ids["func"]) == ("bpf_kfunc",)
    assert btf.decl_tags(ids["func"], 0) == ("arg:nullable",)
    sec = btf.type_by_id(ids["sec"])
    assert sec.vars[0].type == ids["var"] and btf.kind(ids["var"]) is BtfKind.VAR
    assert btf.find("counter") == (ids["var"],)


# --- malformed input ---------------------------------------------------------------------------

def _blob(types: bytes, strings: bytes = b"\0x\0", magic: int = 0xEB9F) -> bytes:
    return HEADER.pack(magic, 1, 0, HEADER.size, 0, len(types), len(types), len(strings)) \
        + types + strings


def test_truncated_header() -> None:
    blob, _ = _every_kind()
    for n in (0, 1, 8, HEADER.size - 1):
        with pytest.raises(BtfError, match="truncated header"):
            RawBtf(blob[:n])


def test_bad_magic_and_byte_swapped_magic() -> None:
    with pytest.raises(BtfError, match="bad magic"):
        RawBtf(_blob(b"", magic=0x1234))


def test_truncated_type_section() -> None:
    b = BtfBuilder()
    b.add_struct("s", 4, [("a", 0, 0)])
    blob = b.build()
    # cut the last member record off, shrinking every length so the header stays consistent
    _magic, _ver, _flags, hl, _toff, tlen, soff, slen = HEADER.unpack_from(blob)
    types = blob[hl:hl + tlen - 12]
    strings = blob[hl + soff:hl + soff + slen]
    with pytest.raises(BtfError):
        RawBtf(_blob(types, strings))


def test_string_offset_out_of_range() -> None:
    types = struct.pack("<IIII", 999, 1 << 24, 4, 32)  # INT named at offset 999
    with pytest.raises(BtfError, match="name offset 999"):
        RawBtf(_blob(types)).name(1)


def test_member_name_offset_out_of_range_in_a_big_struct() -> None:
    types = struct.pack("<III", 1, (BtfKind.STRUCT << 24) | 1, 8) + \
        struct.pack("<III", 5000, 0, BIG * 8)
    raw = RawBtf(_blob(types))
    with pytest.raises(BtfError, match="5000"):
        raw.decode(1)


@pytest.mark.parametrize("bad_id", [0, 2, 1 << 20, -1])
def test_type_id_out_of_range(bad_id: int) -> None:
    types = struct.pack("<IIII", 1, 1 << 24, 4, 32)
    raw = RawBtf(_blob(types))
    if bad_id == 0:
        assert raw.decode(0).kind is BtfKind.UNKN  # id 0 is void
        return
    with pytest.raises(BtfError, match="out of range"):
        raw.decode(bad_id)
