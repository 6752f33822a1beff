"""The program BTF blob built from # TYPE: / # MAP: lines: ids, names, offsets, bytes."""

from __future__ import annotations

import struct

import pytest

from kfunclab.btf import Btf
from kfunclab.btf import BtfKind as ReaderKind
from kfunclab.errors import DeclarationError
from kfunclab.isa.insn import IMM64_TAIL, Alu, AluOp, Call, CallKind, Exit, LoadImm64
from kfunclab.isa.program import LocalStruct, MapDecl, Member, MemberKind, Program, TypeRef
from kfunclab.kernel.progbtf import BtfKind, BtfWriter, build_prog_btf, subprog_starts


def header(blob: bytes) -> tuple[int, ...]:
    return struct.unpack_from("<HBBIIIII", blob, 0)


def test_writer_header_and_int_record_bytes():
    w = BtfWriter()
    assert w.add_int("int", 4, signed=True) == 1
    blob = w.encode()
    # magic, version 1, flags 0, hdr_len 24, type_off 0, type_len 16, str_off 16, str_len 5
    assert header(blob) == (0xEB9F, 1, 0, 24, 0, 16, 16, 5)
    name_off, info, size, encoding = struct.unpack_from("<IIII", blob, 24)
    assert (name_off, info >> 24, size) == (1, BtfKind.INT, 4)
    assert encoding == (1 << 24) | 32  # BTF_INT_SIGNED, 32 bits
    assert blob[40:] == b"\0int\0"


def test_writer_struct_member_offsets_are_bits_and_strings_shared():
    w = BtfWriter()
    long_id = w.add_int("long", 8, signed=True)
    sid = w.add_struct("pair", 16, (("a", long_id, 0), ("b", long_id, 8)))
    blob = w.encode()
    off = 24 + 16  # after the INT record
    _, info, size = struct.unpack_from("<III", blob, off)
    assert (sid, info >> 24, info & 0xFFFF, size) == (2, BtfKind.STRUCT, 2, 16)
    members = [struct.unpack_from("<III", blob, off + 12 + 12 * i) for i in range(2)]
    assert [(t, bits) for _, t, bits in members] == [(1, 0), (1, 64)]
    strings = blob[24 + header(blob)[6]:]
    assert strings == b"\0long\0pair\0a\0b\0"


def test_writer_func_linkage_in_vlen():
    w = BtfWriter()
    proto = w.add_func_proto(0)
    fid = w.add_func("main", proto, linkage=1)
    blob = w.encode()
    _, info, type_id = struct.unpack_from("<III", blob, 24 + 12)
    assert (fid, info >> 24, info & 0xFFFF, type_id) == (2, BtfKind.FUNC, 1, proto)


NODE = LocalStruct("lnode", (Member("v", MemberKind.INT, 8, 0, "long", True),), 8, 1)
SLOT = LocalStruct(
    "task_slot",
    (Member("task", MemberKind.KPTR, 8, 0, "task_struct"),
     Member("weak", MemberKind.KPTR_UNTRUSTED, 8, 8, "task_struct"),
     Member("mine", MemberKind.KPTR, 8, 16, "lnode"),
     Member("lock", MemberKind.SPIN_LOCK, 4, 24, "bpf_spin_lock"),
     Member("n", MemberKind.INT, 4, 28, "u32")),
    32, 2,
)
MAPS = (
    MapDecl("slots", "array", TypeRef("u32", 4), TypeRef("task_slot", 32, SLOT)),
    MapDecl("nodes", "hash", TypeRef("u64", 8), TypeRef("lnode", 8, NODE), max_entries=16),
)
# r1 = slots ll; call +1 (to the subprog at slot 5); r0 = 0; exit; subprog: r0 = 0; exit
INSNS = (
    LoadImm64(1, 0), IMM64_TAIL,  # only the slot count matters here
    Call(CallKind.SUBPROG, 2), Alu(AluOp.MOV, 0, None, 0), Exit(),
    Alu(AluOp.MOV, 0, None, 0), Exit(),
)
PROGRAM = Program(insns=INSNS, section="syscall", types=(NODE,), maps=MAPS)

# The documented layout, one line per id.
EXPECTED_LISTING = (
    "[1] STRUCT lnode size=8 {v@0}",
    "[2] STRUCT task_slot size=32 {task@0, weak@8, mine@16, lock@24, n@28}",
    "[3] INT 'long' size=8",
    "[4] STRUCT task_struct size=0 {}",
    "[5] TYPE_TAG 'kptr' -> 4",
    "[6] PTR -> 5",
    "[7] TYPE_TAG 'kptr_untrusted' -> 4",
    "[8] PTR -> 7",
    "[9] TYPE_TAG 'kptr' -> 1",
    "[10] PTR -> 9",
    "[11] INT 'unsigned int' size=4",
    "[12] STRUCT bpf_spin_lock size=4 {val@0}",
    "[13] INT 'unsigned long' size=8",
    "[14] INT 'int' size=4",
    "[15] PTR -> 0",
    "[16] FUNC_PROTO -> 14",
    "[17] FUNC main global -> 16",
    "[18] FUNC_PROTO -> 14",
    "[19] FUNC sub_5 static -> 18",
)


def test_subprog_starts_follow_pseudo_calls():
    assert subprog_starts(PROGRAM) == (0, 5)


def test_prog_btf_layout_ids_and_func_info():
    pbtf = build_prog_btf(PROGRAM, struct_exists=lambda name: name == "task_struct")
    assert pbtf.listing == EXPECTED_LISTING
    assert pbtf.func_info == ((0, 17), (5, 19))
    assert pbtf.func_info_bytes() == struct.pack("<IIII", 0, 17, 5, 19)
    slots, nodes = pbtf.maps
    assert (slots.key_type_id, slots.value_type_id, slots.value_size) == (11, 2, 32)
    assert (nodes.key_type_id, nodes.value_type_id, nodes.max_entries) == (13, 1, 16)


def test_prog_btf_refuses_unknown_kernel_struct():
    with pytest.raises(DeclarationError, match="struct task_slot member task: struct "
                                               "task_struct is neither"):
        build_prog_btf(PROGRAM, struct_exists=lambda name: False)


def test_blob_decodes_with_kfunclab_btf_reader():
    btf = Btf.from_bytes(build_prog_btf(PROGRAM).blob, "prog btf")
    assert len(btf) == 20  # void + 19 records
    slot = btf.type_by_id(2)
    assert (slot.name, slot.size) == ("task_slot", 32)
    assert [(m.name, m.type, m.byte_offset) for m in slot.members] == [
        ("task", 6, 0), ("weak", 8, 8), ("mine", 10, 16), ("lock", 12, 24), ("n", 11, 28)]
    assert btf.find("lnode", "STRUCT") == (1,)
    assert btf.describe(4) == "STRUCT task_struct"
    tag = btf.type_by_id(5)
    assert (tag.kind, tag.name, tag.type) == (ReaderKind.TYPE_TAG, "kptr", 4)
    assert btf.type_by_id(7).name == "kptr_untrusted"
    assert btf.type_by_id(11).signed is False and btf.type_by_id(14).signed is True
    main, sub = btf.signature(17), btf.signature(19)
    assert (main.name, [p.name for p in main.params]) == ("main", ["ctx"])
    assert (sub.name, sub.params) == ("sub_5", ())
    assert int(btf.type_by_id(17).linkage) == 1 and int(btf.type_by_id(19).linkage) == 0
