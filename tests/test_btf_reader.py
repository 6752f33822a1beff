"""The raw BTF reader on hand-built blobs: every kind, and malformed input."""

from __future__ import annotations

import struct

import pytest

from kfunclab.btf.builder import BtfBuilder
from kfunclab.btf.reader import HEADER, RawBtf
from kfunclab.btf.types import (
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
    IntEncoding,
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


def every_kind() -> bytes:
    b = BtfBuilder()
    b.add_int("int", 4, signed=True)                                        # 1
    b.add_ptr(1)                                                            # 2
    b.add_array(1, 1, 16)                                                   # 3
    b.add_struct("s", 16, [("a", 1, 0), ("bits", 1, 32, 3), ("p", 2, 64)])  # 4
    b.add_struct("u", 8, [("x", 1, 0), ("y", 2, 0)], union=True)            # 5
    b.add_enum("e", [("E_NEG", -1), ("E_ONE", 1)], signed=True)             # 6
    b.add_fwd("fwd_union", union=True)                                      # 7
    b.add_typedef("td", 1)                                                  # 8
    b.add_volatile(1)                                                       # 9
    b.add_const(1)                                                          # 10
    b.add_restrict(2)                                                       # 11
    b.add_func_proto(1, [("a", 1), ("", 0)])                                # 12
    b.add_func("f", 12, Linkage.STATIC)                                     # 13
    b.add_var("v", 1, Linkage.GLOBAL)                                       # 14
    b.add_datasec(".data", 4, [(14, 0, 4)])                                 # 15
    b.add_float("double", 8)                                                # 16
    b.add_decl_tag("bpf_kfunc", 13)                                         # 17
    b.add_type_tag("rcu", 4)                                                # 18
    b.add_enum64("e64", [("BIG", 1 << 40), ("NEG", -2)], signed=True)       # 19
    b.add_int("_Bool", 1, encoding=IntEncoding.BOOL, bits=1)                # 20
    b.add_decl_tag("arg_tag", 13, component_idx=0)                          # 21
    return b.build()


def header(magic=0xEB9F, version=1, flags=0, hdr_len=24, type_off=0, type_len=0, str_off=0,
           str_len=1) -> bytes:
    return HEADER.pack(magic, version, flags, hdr_len, type_off, type_len, str_off, str_len)


def test_every_kind_decodes() -> None:
    raw = RawBtf(every_kind(), "every-kind")
    assert len(raw) == 22  # 21 records + void
    d = raw.decode
    assert d(0) == Void(0, BtfKind.UNKN, "")
    assert d(1) == Int(1, BtfKind.INT, "int", 4, IntEncoding.SIGNED, 32, 0)
    assert d(1).signed and not d(20).signed
    assert d(20) == Int(20, BtfKind.INT, "_Bool", 1, IntEncoding.BOOL, 1, 0)
    assert d(2) == Ptr(2, BtfKind.PTR, "", 1)
    assert d(3) == Array(3, BtfKind.ARRAY, "", 1, 1, 16)
    assert d(4) == Composite(4, BtfKind.STRUCT, "s", 16, (
        Member("a", 1, 0, 0), Member("bits", 1, 32, 3), Member("p", 2, 64, 0)), True)
    assert d(5).members == (Member("x", 1, 0), Member("y", 2, 0))
    assert d(5).kind is BtfKind.UNION and not d(5).kind_flag
    assert d(6) == Enum(6, BtfKind.ENUM, "e", 4, (EnumValue("E_NEG", -1), EnumValue("E_ONE", 1)),
                        True)
    assert d(7) == Fwd(7, BtfKind.FWD, "fwd_union", True)
    assert [d(i).kind for i in (8, 9, 10, 11)] == [BtfKind.TYPEDEF, BtfKind.VOLATILE,
                                                   BtfKind.CONST, BtfKind.RESTRICT]
    assert d(8) == Modifier(8, BtfKind.TYPEDEF, "td", 1)
    assert d(12) == FuncProto(12, BtfKind.FUNC_PROTO, "", 1, (Param("a", 1), Param("", 0)))
    assert d(13) == Func(13, BtfKind.FUNC, "f", 12, Linkage.STATIC)
    assert d(14) == Var(14, BtfKind.VAR, "v", 1, Linkage.GLOBAL)
    assert d(15) == Datasec(15, BtfKind.DATASEC, ".data", 4, (VarSecinfo(14, 0, 4),))
    assert d(16) == Float(16, BtfKind.FLOAT, "double", 8)
    assert d(17) == DeclTag(17, BtfKind.DECL_TAG, "bpf_kfunc", 13, -1)
    assert d(21).component_idx == 0
    assert d(18) == Modifier(18, BtfKind.TYPE_TAG, "rcu", 4)
    assert d(19) == Enum(19, BtfKind.ENUM64, "e64", 8,
                         (EnumValue("BIG", 1 << 40), EnumValue("NEG", -2)), True)


def test_unsigned_enum_keeps_large_values() -> None:
    b = BtfBuilder()
    b.add_enum("flags", [("ALL", 0xFFFFFFFF)])
    b.add_enum64("flags64", [("TOP", 1 << 63)])
    raw = RawBtf(b.build())
    assert raw.decode(1).values[0].value == 0xFFFFFFFF
    assert raw.decode(2).values[0].value == 1 << 63


def test_kinds_and_names_without_decoding() -> None:
    raw = RawBtf(every_kind())
    assert raw.kind(4) is BtfKind.STRUCT
    assert raw.name(13) == "f"
    assert raw.vlen(4) == 3
    assert raw.ids_named("int") == [1]
    assert raw.ids_named("nope") == []
    assert raw.ids_of_kind(BtfKind.DECL_TAG) == [17, 21]


def test_same_name_different_kinds_all_found() -> None:
    b = BtfBuilder()
    b.add_struct("dup", 4, [])
    b.add_typedef("dup", 1)
    b.add_fwd("dup")
    assert RawBtf(b.build()).ids_named("dup") == [1, 2, 3]


def test_suffix_sharing_names_are_found() -> None:
    # a name offset may point into the middle of a longer string ("xtask" -> "task")
    strings = b"\0xtask\0"
    types = struct.pack("<III", 2, BtfKind.STRUCT << 24, 0)
    raw = RawBtf(header(type_len=len(types), str_off=len(types), str_len=len(strings))
                 + types + strings)
    assert raw.name(1) == "task"
    assert raw.ids_named("task") == [1]


def test_big_endian_blob() -> None:
    strings = b"\0int\0"
    types = struct.pack(">IIII", 1, BtfKind.INT << 24, 4, 32)
    hdr = struct.pack(">HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    assert RawBtf(hdr + types + strings).decode(1).size == 4


@pytest.mark.parametrize(("blob", "message"), [
    (b"\x9f\xeb\x01", "truncated header (3 bytes, need 24)"),
    (header(magic=0x1234), "bad magic 0x1234 at offset 0 (expected 0xeb9f)"),
    (header(version=2) + b"\0", "unsupported version 2 at offset 2"),
    (header(flags=1) + b"\0", "unsupported flags 0x1 at offset 3"),
    (header(hdr_len=8) + b"\0", "header length 8 at offset 4 is outside 24..25"),
    (header(type_len=400) + b"\0", "type section [24, 424) runs past the end of the data"),
    (header(str_off=0, str_len=50) + b"\0", "string section [24, 74) runs past the end"),
    (header(str_len=1) + b"x", "string section at offset 24 must start and end with a NUL"),
    (header(type_off=2, type_len=0, str_off=0, str_len=1) + b"\0\0\0",
     "type section offset 2 / length 0 is not a multiple of 4"),
])
def test_malformed_headers(blob: bytes, message: str) -> None:
    with pytest.raises(BtfError, match=r"BTF bad\.btf: ") as exc:
        RawBtf(blob, "bad.btf")
    assert message in str(exc.value)


def blob_with_types(types: bytes, strings: bytes = b"\0s\0") -> bytes:
    return header(type_len=len(types), str_off=len(types), str_len=len(strings)) + types + strings


def test_record_running_past_the_type_section() -> None:
    # [1] INT ok; [2] STRUCT claims 2 members but the section ends after its header
    types = (struct.pack("<IIII", 0, BtfKind.INT << 24, 4, 32)
             + struct.pack("<III", 1, (BtfKind.STRUCT << 24) | 2, 8))
    with pytest.raises(BtfError) as exc:
        RawBtf(blob_with_types(types), "cut.btf")
    assert str(exc.value) == ("BTF cut.btf: type [2] (STRUCT) at type-section offset 16 runs "
                              "past the end of the type section (28 bytes)")


def test_truncated_record_header() -> None:
    types = struct.pack("<IIII", 0, BtfKind.INT << 24, 4, 32) + struct.pack("<II", 0, 0)
    with pytest.raises(BtfError, match=r"type \[2\] at type-section offset 16 runs past"):
        RawBtf(blob_with_types(types), "cut.btf")


def test_unknown_kind() -> None:
    types = struct.pack("<III", 0, 25 << 24, 0)
    with pytest.raises(BtfError) as exc:
        RawBtf(blob_with_types(types), "k.btf")
    assert str(exc.value) == "BTF k.btf: type [1] at type-section offset 0 has unknown kind 25"


def test_kind_zero_is_rejected_unless_holes_are_allowed() -> None:
    types = struct.pack("<III", 0, 0, 0) + struct.pack("<IIII", 1, BtfKind.INT << 24, 4, 32)
    with pytest.raises(BtfError, match="unknown kind 0"):
        RawBtf(blob_with_types(types))
    raw = RawBtf(blob_with_types(types), allow_holes=True)
    assert raw.kind(1) is BtfKind.UNKN and raw.decode(2).size == 4


def test_type_name_offset_out_of_range() -> None:
    types = struct.pack("<IIII", 0, BtfKind.INT << 24, 4, 32) + struct.pack(
        "<IIII", 99, BtfKind.INT << 24, 4, 32)
    with pytest.raises(BtfError) as exc:
        RawBtf(blob_with_types(types), "n.btf")
    assert str(exc.value) == ("BTF n.btf: type [2] name offset 99 is outside the string section "
                              "(3 bytes)")


def test_member_name_offset_out_of_range_found_on_decode() -> None:
    types = struct.pack("<III", 1, (BtfKind.STRUCT << 24) | 1, 4) + struct.pack("<III", 77, 0, 0)
    raw = RawBtf(blob_with_types(types), "m.btf")
    with pytest.raises(BtfError, match=r"type \[1\] name offset 77 is outside"):
        raw.decode(1)


def test_type_id_out_of_range() -> None:
    raw = RawBtf(every_kind(), "x")
    with pytest.raises(BtfError, match="type id 22 out of range"):
        raw.decode(22)
