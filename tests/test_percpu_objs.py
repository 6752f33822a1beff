"""bpf_percpu_obj_new_impl (check_special_kfunc() of Linux 6.18), in fentry programs.

Trampoline programs are refused before verification by the kernel kfunclab is checked against,
so each case pins the answer with the source that decides; checked offline against the
bundled BTF snapshot under the 6.18 profile (the selftests' percpu_alloc_fail.c covers the same
rules in tests/test_refused_score.py).
"""

from __future__ import annotations

import pytest

from kfunclab.verifier.api import verify_text

PROGRAM = """# SEC("fentry/bpf_fentry_test1")
# LICENSE("GPL")
# TYPE: {type}
    r1 = 1
    r2 = 0
    call bpf_percpu_obj_new_impl
    if r0 == 0 goto out
    r6 = r0
{body}
out:
    r0 = 0
    exit
"""
PLAIN = "struct pv { u64 a; u64 b; }"
DROP = "    r1 = r6\n    r2 = 0\n    call bpf_percpu_obj_drop_impl"

CASES = [
    ("drop", PLAIN, DROP, "accept", None,
     "KF_ACQUIRE bpf_percpu_obj_new_impl, KF_RELEASE bpf_percpu_obj_drop_impl"),
    ("leak", PLAIN, "", "reject", "BPF_EXIT instruction in main prog would lead to reference leak",
     "check_reference_leak(): the object is a reference"),
    ("wrong-drop", PLAIN, "    r1 = r6\n    r2 = 0\n    call bpf_obj_drop_impl", "reject",
     "arg#0 expected for bpf_percpu_obj_drop_impl()",
     "check_kfunc_args() KF_ARG_PTR_TO_ALLOC_BTF_ID: MEM_ALLOC | MEM_PERCPU"),
    ("direct-read", PLAIN, "    r0 = *(u64 *)(r6 + 0)\n" + DROP, "reject",
     "R6 is ptr_pv access percpu memory: off=0",
     "check_ptr_to_btf_access(): MEM_PERCPU"),
    ("this-cpu-ptr", PLAIN, "    r1 = r6\n    call bpf_this_cpu_ptr\n" + DROP, "reject",
     "R1 type=percpu_ptr_ expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_",
     "check_reg_type(): MEM_ALLOC is folded only for bpf_kptr_xchg's R2"),
    ("pointer-member", "struct pv { u64 a; struct pv *p; }", DROP, "reject",
     "bpf_percpu_obj_new type ID argument must be of a struct of scalars",
     "__btf_type_is_scalar_struct(): a pointer is no scalar"),
    ("special-field", "struct pv { u64 a; struct bpf_spin_lock l; }", DROP, "reject",
     "bpf_percpu_obj_new type ID argument must not contain special fields",
     "btf_find_struct_meta() finds the lock (bpf_spin_lock itself is a struct of scalars)"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_percpu_obj_new(case):
    _id, type_line, body, verdict, message, _source = case
    result = verify_text(PROGRAM.format(type=type_line, body=body), btf="bundled",
                         profile="linux-6.18")
    assert result.verdict.value == verdict, result.error
    if message is not None:
        assert result.error.message == message


def test_percpu_object_into_a_plain_kptr():
    """map_kptr_match_type(): MEM_PERCPU fits only a __percpu_kptr field; check_reg_type()
    folded MEM_PERCPU for bpf_kptr_xchg's R2, so the refusal is map_kptr_match_type()'s, and
    it fails on the flags, before the pointer's type name is read (the kernel prints
    ``percpu_ptr_`` alone; tests/verifier/programs/percpu/percpu_into_plain_kptr.s asks it)."""
    text = PROGRAM.format(type=PLAIN, body="").replace(
        "# TYPE: struct pv { u64 a; u64 b; }\n",
        '# TYPE: struct pv { u64 a; u64 b; }\n'
        '# MAP: m array key=u32 value="struct mv { struct pv __kptr *k; }"\n')
    text = text.replace("    r6 = r0\n", """    r6 = r0
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = r0
    r2 = r6
    call bpf_kptr_xchg  # a per-CPU object into a plain __kptr
""")
    result = verify_text(text, btf="bundled", profile="linux-6.18")
    assert result.verdict.value == "reject"
    assert result.error.message == "invalid kptr access, R2 type=percpu_ptr_ expected=ptr_pv"
