"""The flags of a pointer loaded from a struct member with a BTF type tag, on a synthetic BTF.

Neither the bundled nor a running vmlinux BTF need tag any member ``__rcu``/``__user``/
``__percpu`` (pahole drops the tags unless told otherwise), so the tag rules of
check_ptr_to_btf_access() (Linux 6.18 kernel/bpf/verifier.c) are checked here on a blob built
in the test and walked with :func:`kfunclab.verifier.trust.walk_btf_pointer`:

- btf_struct_walk() turns the tag between a pointer and its struct into MEM_RCU, MEM_USER or
  MEM_PERCPU; a tag with kind_flag set is an ``__attribute__``, not a type tag, and ignored;
  walking a union of more than one member sets PTR_UNTRUSTED;
- from an untrusted pointer: ``flag = PTR_UNTRUSTED`` (the tag's flag is dropped);
- from a trusted or RCU pointer inside an RCU critical section (or a non-sleepable program):
  an ``__rcu`` member is MEM_RCU | PTR_MAYBE_NULL, a ``__user``/``__percpu`` one kept as is,
  and a BTF_TYPE_SAFE_RCU_OR_NULL field loses PTR_UNTRUSTED ("we always trust them");
  outside one (sleepable, no bpf_rcu_read_lock): PTR_UNTRUSTED;
- from a plain PTR_TO_BTF_ID (no flags, "old compat"): clear_trusted_flags() drops MEM_RCU.

Kills the trust.py walk_btf_pointer flag-clearing survivors of mutation run D.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kfunclab.btf.builder import BtfBuilder
from kfunclab.btf.model import Btf
from kfunclab.verifier.regs import Reg, RegType, TypeFlag
from kfunclab.verifier.trust import walk_btf_pointer

F = TypeFlag
# kfl_obj's pointer members, 8 bytes each from offset 0
MEMBERS = {"rcu_p": 0, "user_p": 8, "pcpu_p": 16, "plain": 24, "attr_p": 32}


def _btf() -> tuple[Btf, int, int]:
    """``struct kfl_obj`` with tagged pointer members (``struct kfl_obj __rcu *rcu_p`` ...;
    ``attr_p``'s tag has kind_flag set), and an ``mm_struct`` (a name 6.18 lists
    BTF_TYPE_SAFE_RCU_OR_NULL with field ``owner``) whose ``owner`` sits in a two-member union:
    ``union { struct kfl_obj *owner; struct kfl_obj *other; } u``. Returns the BTF and the ids
    of the two structs."""
    b = BtfBuilder()
    u64 = b.add_int("u64", 8)  # 1
    obj = 2
    # 3-6: the tags (on kfl_obj), 7-11: the member pointers (PTR -> TYPE_TAG -> struct)
    ptr = {"rcu_p": 7, "user_p": 8, "pcpu_p": 9, "plain": 10, "attr_p": 11}
    assert b.add_struct("kfl_obj", 48, [(n, ptr[n], off * 8) for n, off in MEMBERS.items()]
                        + [("val", u64, 40 * 8)]) == obj
    tags = [b.add_type_tag("rcu", obj), b.add_type_tag("user", obj),
            b.add_type_tag("percpu", obj), b.add_type_tag("rcu", obj, attribute=True)]
    for target in (tags[0], tags[1], tags[2], obj, tags[3]):
        b.add_ptr(target)
    union = b.add_struct("", 8, [("owner", ptr["plain"], 0), ("other", ptr["plain"], 0)],
                         union=True)
    mm = b.add_struct("mm_struct", 16, [("u", union, 0), ("val", u64, 64)])
    # names 6.18 lists BTF_TYPE_SAFE_TRUSTED (file.f_inode) and ..._OR_NULL (socket.sk)
    b.add_struct("file", 8, [("f_inode", ptr["plain"], 0)])
    b.add_struct("socket", 8, [("sk", ptr["plain"], 0)])
    b.add_struct("cgroup", 8, [("kn", ptr["plain"], 0)])  # BTF_TYPE_SAFE_RCU
    return Btf.from_bytes(b.build(), "tags.btf"), obj, mm


def _walk(reg_flags: int, struct: str, off: int, *, sleepable: bool = False,
          rcu_lock: int = 0) -> int:
    """The flags of the pointer an 8-byte load at ``off`` of a ``struct`` pointer gives."""
    btf, obj, mm = _btf()
    env = SimpleNamespace(btf=btf, sleepable=sleepable, new_id=lambda: 1)
    state = SimpleNamespace(active_rcu_lock=rcu_lock, active_locks=0, active_preempt_locks=0,
                            active_irq_id=0, frames=[SimpleNamespace(cb=None)])
    sid = {"kfl_obj": obj, "mm_struct": mm}.get(struct) or btf.find(struct, "STRUCT")[0]
    reg = Reg(RegType.PTR_TO_BTF_ID, flags=reg_flags, btf_id=sid, btf_name=struct)
    got = walk_btf_pointer(env, state, reg, off, 8)  # type: ignore[arg-type]
    assert got.type is RegType.PTR_TO_BTF_ID and got.btf_name == "kfl_obj"
    return got.flags


TRUSTED, RCU_PTR, UNTRUSTED, PLAIN = F.TRUSTED, F.RCU, F.UNTRUSTED, F(0)
# (register flags, member, sleepable, bpf_rcu_read_lock held, the kernel's flags)
CASES = [
    # trusted, non-sleepable (in_rcu_cs): the tag decides
    (TRUSTED, "rcu_p", False, 0, F.RCU | F.MAYBE_NULL),
    (TRUSTED, "user_p", False, 0, F.USER),
    (TRUSTED, "pcpu_p", False, 0, F.PERCPU),
    (TRUSTED, "plain", False, 0, PLAIN),
    (TRUSTED, "attr_p", False, 0, PLAIN),  # an __attribute__ tag is no type tag
    (RCU_PTR, "rcu_p", False, 0, F.RCU | F.MAYBE_NULL),
    # sleepable: only inside bpf_rcu_read_lock()
    (TRUSTED, "rcu_p", True, 0, UNTRUSTED),
    (TRUSTED, "user_p", True, 0, UNTRUSTED),
    (TRUSTED, "rcu_p", True, 1, F.RCU | F.MAYBE_NULL),
    # from an untrusted pointer: PTR_UNTRUSTED alone, whatever the tag
    (UNTRUSTED, "rcu_p", False, 0, UNTRUSTED),
    (UNTRUSTED, "user_p", False, 0, UNTRUSTED),
    (UNTRUSTED, "pcpu_p", False, 0, UNTRUSTED),
    # old compat (no flags): clear_trusted_flags() drops MEM_RCU, keeps __user/__percpu
    (PLAIN, "rcu_p", False, 0, PLAIN),
    (PLAIN, "user_p", False, 0, F.USER),
    (PLAIN, "pcpu_p", False, 0, F.PERCPU),
]


@pytest.mark.parametrize(("reg", "member", "sleepable", "lock", "want"), CASES,
                         ids=[f"{c[0].name or 'plain'}-{c[1]}-{'sleep' if c[2] else 'nosleep'}"
                              f"-{c[3]}" for c in CASES])
def test_tagged_member_flags(reg: int, member: str, sleepable: bool, lock: int,
                             want: int) -> None:
    assert F(_walk(reg, "kfl_obj", MEMBERS[member], sleepable=sleepable, rcu_lock=lock)) == want


def test_a_safe_rcu_or_null_field_through_a_union_is_trusted_again() -> None:
    """mm_struct.owner is BTF_TYPE_SAFE_RCU_OR_NULL: the union's PTR_UNTRUSTED is cleared in an
    RCU critical section; outside one (sleepable) the pointer is PTR_UNTRUSTED."""
    assert F(_walk(TRUSTED, "mm_struct", 0)) == F.RCU | F.MAYBE_NULL
    assert F(_walk(TRUSTED, "mm_struct", 0, sleepable=True)) == UNTRUSTED


@pytest.mark.parametrize(("struct", "want"), [("file", F.TRUSTED),
                                              ("socket", F.TRUSTED | F.MAYBE_NULL)])
@pytest.mark.parametrize("sleepable", [False, True])
def test_safe_trusted_fields_stay_trusted(struct: str, want: int, sleepable: bool) -> None:
    """type_is_trusted() / type_is_trusted_or_null(): in or out of an RCU critical section."""
    assert F(_walk(TRUSTED, struct, 0, sleepable=sleepable)) == want


@pytest.mark.parametrize(("sleepable", "want"), [(False, F.RCU), (True, UNTRUSTED)])
def test_a_safe_rcu_field_is_rcu_only_in_an_rcu_section(sleepable: bool, want: int) -> None:
    """type_is_rcu(): cgroup.kn is MEM_RCU (never NULL) in an RCU critical section."""
    assert F(_walk(TRUSTED, "cgroup", 0, sleepable=sleepable)) == want


# --- the id of a maybe-NULL walked pointer, on the real BTF: a NULL check through a copy -------
SKB_SK = """\
# SEC("tp_btf/kfree_skb")
	r6 = *(u64 *)(r1 + 0)           # struct sk_buff *skb (trusted)
	r7 = *(u64 *)(r6 + {off})       # skb->sk: BTF_TYPE_SAFE_RCU_OR_NULL, MEM_RCU | PTR_MAYBE_NULL
	r8 = r7
	if r8 {cond} 0 goto out         # mark_ptr_or_null_regs() reaches r7 by the id they share
	r0 = *(u32 *)(r7 + 0)
out:
	r0 = 0
	exit
"""
SKB_CASES = [("==", ("accept", None, None)),
             ("!=", ("reject", 13, "R7 invalid mem access 'scalar'"))]


def _skb_sk(which: str, cond: str) -> str:
    from kfunclab.btf import load_btf

    btf = load_btf(which)
    sid = btf.find("sk_buff", "STRUCT")[0]
    off = next(o for o in range(0, 256, 8) if btf.member_at(sid, o, 8).field_name == "sk")
    return SKB_SK.format(off=off, cond=cond)


@pytest.mark.parametrize(("cond", "answer"), SKB_CASES)
def test_a_maybe_null_walked_pointer_is_checked_through_a_copy(cond: str, answer: tuple) -> None:
    """check_ptr_to_btf_access() -> mark_btf_ld_reg(): a PTR_MAYBE_NULL result gets a fresh id
    (kills trust.py walk_btf_pointer without ``new.evolve(id=env.new_id())``)."""
    from kfunclab.isa.parser import parse_program
    from kfunclab.verifier import verify

    got = verify(parse_program(_skb_sk("bundled", cond), "sk.s"), btf="bundled")
    err = got.error
    assert (got.verdict.value, err.errno if err else None, err.message if err else None) == answer


@pytest.mark.kernel
@pytest.mark.parametrize(("cond", "answer"), SKB_CASES)
def test_the_live_kernel_checks_a_maybe_null_walked_pointer_through_a_copy(
        cond: str, answer: tuple) -> None:
    from kfunclab.btf import load_btf
    from kfunclab.errors import KfunclabError
    from kfunclab.isa.parser import parse_program
    from kfunclab.kernel import kernel_available, kernel_verdict

    available, why = kernel_available()
    if not available:
        pytest.skip(why)
    try:
        load_btf("live")
    except (OSError, KfunclabError) as exc:
        pytest.skip(f"no live kernel BTF: {exc}")
    kv = kernel_verdict(parse_program(_skb_sk("live", cond), "sk.s"))
    assert (kv.verdict, None if kv.accepted else kv.errno, kv.error) == answer
