"""The Btf type model on hand-built BTF: lookups, sizes, struct walks, C types, kfuncs."""

from __future__ import annotations

import pytest

from kfunclab.btf import Access, Btf, BtfKind
from kfunclab.btf.builder import BtfBuilder
from kfunclab.btf.testing import tiny_btf
from kfunclab.btf.types import Linkage
from kfunclab.ctype import Kind
from kfunclab.errors import BtfError


def kernelish() -> Btf:
    """A miniature kernel: nested structs, unions, arrays, bitfields, tags, kfuncs."""
    b = BtfBuilder()
    i32 = b.add_int("int", 4, signed=True)                                   # 1
    ulong = b.add_int("long unsigned int", 8)                                # 2
    bits = b.add_array(ulong, i32, 2)                                        # 3  ulong[2]
    cpumask = b.add_struct("cpumask", 16, [("bits", bits, 0)])               # 4
    cpumask_t = b.add_typedef("cpumask_t", cpumask)                          # 5
    const_mask = b.add_const(cpumask_t)                                      # 6
    mask_ptr = b.add_ptr(const_mask)                                         # 7  const cpumask_t *
    task = 9
    rcu_tag = b.add_type_tag("rcu", task)                                    # 8 -> 9
    b.add_struct("task_struct", 88, [                                        # 9
        ("pid", i32, 0),
        ("flag_a", i32, 32, 1), ("flag_b", i32, 33, 3),
        ("cpus_ptr", mask_ptr, 64),
        ("real_parent", 10, 128),
        ("cpus_mask", cpumask, 192),
        ("u", 12, 320),
        ("one", 13, 384),
        ("comm", 14, 448),
        ("name_ptr", 15, 576),
        ("pad", i32, 640),
    ])
    b.add_ptr(rcu_tag)                                                       # 10 rcu task *
    char = b.add_int("char", 1, signed=True)                                 # 11
    b.add_struct("", 8, [("lo", i32, 0), ("raw", ulong, 0)], union=True)     # 12 union
    b.add_struct("", 8, [("only", 10, 0)], union=True)                       # 13 1-member union
    b.add_array(char, i32, 16)                                               # 14 char comm[16]
    b.add_ptr(char)                                                          # 15 char *
    b.add_struct("bpf_cpumask", 24, [("cpumask", cpumask, 0), ("usage", i32, 128)])  # 16
    b.add_struct("flex", 8, [("n", i32, 0), ("cnt", i32, 32), ("items", 18, 64)])    # 17
    b.add_array(cpumask, i32, 0)                                             # 18 cpumask[]
    ptask = b.add_ptr(task)                                                  # 19
    proto = b.add_func_proto(ptask, [("p", ptask)])                          # 20
    acq = b.add_func("bpf_task_acquire", proto)                              # 21
    b.add_decl_tag("bpf_kfunc", acq)                                         # 22
    not_kfunc = b.add_func("helper_like", proto, Linkage.STATIC)             # 23
    b.add_decl_tag("bpf_kfunc", not_kfunc, component_idx=0)                  # 24 a param tag
    cb = b.add_func_proto(i32, [("", b.add_ptr(0)), ("", ulong)])            # 26 (25 = void *)
    cbp = b.add_ptr(cb)                                                      # 27
    u32 = b.add_typedef("u32", b.add_typedef("__u32", b.add_int("unsigned int", 4)))  # 30
    wq = b.add_func_proto(i32, [("callback_fn", cbp), ("flags", u32), ("", 0)])  # 31
    b.add_decl_tag("bpf_kfunc", b.add_func("bpf_wq_like", wq))               # 32, 33
    b.add_decl_tag("bpf_fastcall", 32)                                       # 34
    b.add_enum("bpf_prog_type", [("BPF_PROG_TYPE_UNSPEC", 0), ("BPF_PROG_TYPE_XDP", 6)])  # 35
    b.add_fwd("opaque")                                                      # 36
    b.add_volatile(b.add_restrict(ptask))                                    # 38 (37 restrict)
    return Btf.from_bytes(b.build(), "kernelish")


@pytest.fixture(scope="module")
def btf() -> Btf:
    return kernelish()


def test_find_lookup_describe(btf: Btf) -> None:
    assert btf.find("task_struct") == (9,)
    assert btf.find("task_struct", "struct") == (9,)
    assert btf.find("task_struct", BtfKind.TYPEDEF) == ()
    assert btf.struct_id("cpumask") == 4
    assert btf.describe(9) == "STRUCT task_struct"
    assert btf.kind_name(0) == "UNKNOWN" and btf.describe(0) == "UNKNOWN "
    assert btf.kind_name(2) == "INT"
    assert btf.type_name(9) == btf.name(9) == "task_struct"
    with pytest.raises(BtfError, match="no STRUCT named 'task' in the kernelish"):
        btf.struct_id("task")
    with pytest.raises(BtfError, match="unknown BTF kind 'strukt'"):
        btf.find("x", "strukt")


def test_modifier_loop_is_an_error() -> None:
    b = BtfBuilder()
    b.add_typedef("a", 2)
    b.add_const(1)
    with pytest.raises(BtfError, match=r"type \[1\] in loop: modifier chain longer than 32"):
        Btf.from_bytes(b.build(), "loop").resolve(1)


def test_type_by_id_out_of_range(btf: Btf) -> None:
    with pytest.raises(BtfError, match=r"type id 500 is out of range for BTF kernelish \(0..38\)"):
        btf.type_by_id(500)


def test_resolve_keeps_tags_const_and_typedef(btf: Btf) -> None:
    r = btf.resolve(6)  # const cpumask_t
    assert (r.id, r.const, r.typedef, r.tags) == (4, True, "cpumask_t", ())
    r = btf.resolve(8)  # rcu tag -> task_struct
    assert (r.id, r.tags) == (9, ("rcu",))
    assert btf.resolve(38).id == 19 and btf.resolve(38).volatile
    assert btf.resolve(9).id == 9


def test_sizeof(btf: Btf) -> None:
    assert btf.sizeof(9) == 88
    assert btf.sizeof(3) == 16  # ulong[2]
    assert btf.sizeof(7) == 8  # any pointer
    assert btf.sizeof(6) == 16  # through const and typedef
    assert btf.sizeof(18) == 0  # flexible array
    with pytest.raises(BtfError, match=r"FUNC_PROTO  \(id 20\) has no size"):
        btf.sizeof(20)
    with pytest.raises(BtfError, match="FWD opaque"):
        btf.sizeof(36)


def test_struct_members(btf: Btf) -> None:
    members = btf.struct_members(9)
    assert [(m.name, m.type, m.bit_offset, m.bitfield_size) for m in members[:4]] == [
        ("pid", 1, 0, 0), ("flag_a", 1, 32, 1), ("flag_b", 1, 33, 3), ("cpus_ptr", 7, 64, 0)]
    assert btf.struct_members(5)[0].name == "bits"  # a typedef of a struct works too
    with pytest.raises(BtfError, match=r"type \[1\] is INT int, not a struct or union"):
        btf.struct_members(1)


@pytest.mark.parametrize(("off", "size", "access", "path"), [
    (0, 4, Access.SCALAR, "pid"),
    (4, 1, Access.SCALAR, "flag_a"),          # bitfield at bit 32 is covered by a 1-byte read
    (8, 8, Access.PTR_TO_BTF_ID, "cpus_ptr"),
    (16, 8, Access.PTR_TO_BTF_ID, "real_parent"),
    (24, 8, Access.SCALAR, "cpus_mask.bits[0]"),
    (32, 8, Access.SCALAR, "cpus_mask.bits[1]"),
    (28, 8, Access.SCALAR, "cpus_mask.bits[0]"),  # ints: anything up to the array's true end
    (56, 1, Access.SCALAR, "comm[0]"),
    (60, 4, Access.SCALAR, "comm[4]"),
    (72, 8, Access.PTR_TO_MEM, "name_ptr"),   # char *: untrusted read-only memory
])
def test_member_at(btf: Btf, off: int, size: int, access: Access, path: str) -> None:
    acc = btf.member_at(9, off, size)
    assert (acc.access, acc.path) == (access, path), acc.message


def test_member_at_pointer_details(btf: Btf) -> None:
    acc = btf.member_at(9, 16, 8)
    assert acc.btf_id == 9 and acc.field_name == "real_parent" and acc.is_pointer
    assert acc.flags == frozenset({"MEM_RCU"})  # the rcu type tag on the pointee
    mask = btf.member_at(9, 8, 8)
    assert btf.name(mask.btf_id) == "cpumask" and mask.flags == frozenset()
    assert mask.member_type_id == 7
    mem = btf.member_at(9, 72, 8)
    assert mem.flags == frozenset({"MEM_RDONLY", "PTR_UNTRUSTED"}) and mem.btf_id is None


def test_member_at_unions(btf: Btf) -> None:
    acc = btf.member_at(9, 40, 4)
    assert acc.access is Access.SCALAR and acc.path == "u.lo"
    one = btf.member_at(9, 48, 8)  # pointer inside a single-member union stays trusted
    assert one.access is Access.PTR_TO_BTF_ID and one.path == "one.only"
    assert "PTR_UNTRUSTED" not in one.flags


@pytest.mark.parametrize(("off", "size", "message", "errno"), [
    (20, 8, "cannot access ptr member real_parent with moff 16 in struct task_struct with off "
            "20 size 8", 13),
    (16, 4, "cannot access ptr member real_parent with moff 16 in struct task_struct with off "
            "16 size 4", 13),
    (84, 8, "access beyond struct task_struct at off 84 size 8", 13),
    (68, 8, "access beyond the end of member comm (mend:72) in struct task_struct with off 68 "
            "size 8", 13),
    (84, 4, "struct task_struct doesn't have field at offset 84", 22),
    (5, 1, "struct task_struct doesn't have field at offset 5", 22),  # inside flag_b's bits only
])
def test_member_at_errors(btf: Btf, off: int, size: int, message: str, errno: int) -> None:
    acc = btf.member_at(9, off, size)
    assert acc.access is Access.ERROR and not acc.ok
    assert (acc.message, acc.errno) == (message, errno)


def test_member_at_not_a_struct(btf: Btf) -> None:
    acc = btf.member_at(1, 0, 4)
    assert acc.message == "Type 'int' is not a struct" and acc.errno == 22


def test_member_at_flexible_array_tail(btf: Btf) -> None:
    acc = btf.member_at(17, 8 + 16 * 3 + 8, 8)  # items[3].bits[1]
    assert acc.access is Access.SCALAR and acc.path == "items[3].bits[1]"
    assert btf.member_at(17, 4, 8).message == "access beyond struct flex at off 4 size 8"


def test_struct_ids_match_first_member_rule(btf: Btf) -> None:
    assert btf.struct_ids_match(16, 0, 4)  # struct bpf_cpumask * passes as struct cpumask *
    assert btf.struct_ids_match(9, 0, 9)
    assert not btf.struct_ids_match(16, 0, 4, strict=True)
    assert not btf.struct_ids_match(16, 16, 4)
    assert btf.struct_ids_match(9, 24, 4)  # task->cpus_mask is a struct cpumask


def test_to_ctype(btf: Btf) -> None:
    assert btf.to_ctype(0).kind is Kind.VOID
    assert btf.to_ctype(2).spelling() == "unsigned long"  # gcc's "long unsigned int"
    assert btf.to_ctype(30).spelling() == "u32"  # outermost integer typedef wins
    mask = btf.to_ctype(7)
    assert mask.spelling() == "const struct cpumask *" and mask.target.const
    assert mask.pointee_struct == "cpumask"
    rcu = btf.to_ctype(10)
    assert rcu.tags == ("rcu",) and rcu.spelling() == "struct task_struct *"
    assert btf.to_ctype(35).kind is Kind.ENUM and btf.to_ctype(35).size == 4
    assert btf.to_ctype(14).spelling() == "char[16]" and btf.to_ctype(14).size == 16
    assert btf.to_ctype(36).kind is Kind.STRUCT and btf.to_ctype(36).size == 0
    assert btf.to_ctype(27).target.kind is Kind.FUNC
    assert btf.to_ctype(38).spelling() == "struct task_struct *"


def test_kfuncs_and_signatures(btf: Btf) -> None:
    names = [k.name for k in btf.kfuncs()]
    assert names == ["bpf_task_acquire", "bpf_wq_like"]  # a param-level tag is not bpf_kfunc
    acq = btf.kfunc("bpf_task_acquire")
    assert (acq.btf_id, acq.proto_id, acq.ret_type_id) == (21, 20, 19)
    assert [(p.name, p.ctype.spelling(), p.type_id) for p in acq.params] == [
        ("p", "struct task_struct *", 19)]
    wq = btf.kfunc("bpf_wq_like")
    assert wq.spelling() == ("int bpf_wq_like(int (*callback_fn)(void *, unsigned long), "
                             "u32 flags, ...)")
    assert wq.variadic and wq.decl_tags == ("bpf_kfunc", "bpf_fastcall")
    assert btf.func_proto("helper_like").linkage is Linkage.STATIC
    assert not btf.is_kfunc("helper_like")
    with pytest.raises(BtfError, match="'helper_like' is not a kfunc"):
        btf.kfunc("helper_like")
    with pytest.raises(BtfError, match="type \\[9\\] is STRUCT task_struct, not a FUNC"):
        btf.signature(9)


def test_decl_tags(btf: Btf) -> None:
    assert btf.decl_tags(32) == ("bpf_kfunc", "bpf_fastcall")
    assert btf.decl_tags(23) == ()
    assert btf.decl_tags(23, component_idx=0) == ("bpf_kfunc",)


def test_enum_values(btf: Btf) -> None:
    assert btf.enum_values("bpf_prog_type") == {"BPF_PROG_TYPE_UNSPEC": 0,
                                                "BPF_PROG_TYPE_XDP": 6}
    with pytest.raises(BtfError, match="no enum named 'bpf_map_type'"):
        btf.enum_values("bpf_map_type")


def test_tiny_btf_fixture() -> None:
    btf = tiny_btf()
    assert btf.kfunc("bpf_rdonly_cast").spelling() == (
        "void *bpf_rdonly_cast(const void *obj__ign, u32 btf_id__k)")
    assert btf.enum_values("bpf_func_id")["BPF_FUNC_get_prandom_u32"] == 7
