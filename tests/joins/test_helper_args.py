"""Helper arguments and calls under a lock: the checks a mutation run found no test for.

Each program's expected verdict, errno and message are written here from the v6.18 source named
beside it; the live half re-asks the running kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify

MEM_EXPECTED = "expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
LOCKED_MAP = ('# MAP: vals array key=u32 value="struct val { struct bpf_spin_lock lock; u32 pad; '
              'u64 count; }"\n')
LOOKUP_KEY0 = """\
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = vals ll
	call bpf_map_lookup_elem
"""


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    answer: tuple[str, int | None, str | None]  # verdict, errno, message
    source: str


def _tc(desc: str, body: str, maps: str = "# MAP: vals array key=u32 value=u64\n") -> str:
    return f'# SEC("tc")\n{maps}# {desc}\n{body}'


CASES = [
    Case("map_arg_not_read_ok", _tc("R1 clobbered by a helper before the lookup", """\
	call bpf_get_prandom_u32
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem  # bug: R1 is not initialised
	r0 = 0
	exit
"""), ("reject", 13, "R1 !read_ok"), "check_func_arg() -> check_reg_arg(): !read_ok"),
    Case("mem_arg_not_read_ok", _tc("no key pointer at all", """\
	r1 = vals ll
	call bpf_map_lookup_elem  # bug: R2 is not initialised
	r0 = 0
	exit
"""), ("reject", 13, "R2 !read_ok"), "check_func_arg(): ARG_PTR_TO_MAP_KEY, !read_ok"),
    Case("mem_arg_scalar", _tc("the key is a number", """\
	r1 = vals ll
	r2 = 0  # bug: not a pointer
	call bpf_map_lookup_elem
	r0 = 0
	exit
"""), ("reject", 13, "R2 type=scalar " + MEM_EXPECTED), "check_reg_type(): compatible_reg_types"),
    Case("mem_arg_maybe_null", _tc("the key is an unchecked lookup result", LOOKUP_KEY0 + """\
	r2 = r0  # bug: maybe NULL
	r1 = vals ll
	call bpf_map_lookup_elem
	r0 = 0
	exit
""", "# MAP: vals hash key=u32 value=u64\n"),
         ("reject", 13, "R2 type=map_value_or_null " + MEM_EXPECTED),
         "check_reg_type(): PTR_MAYBE_NULL is not in the allowed set"),
    Case("mem_arg_checked_value_ok", _tc("the key is a checked lookup result", LOOKUP_KEY0 + """\
	if r0 == 0 goto out
	r2 = r0
	r1 = vals ll
	call bpf_map_lookup_elem
out:
	r0 = 0
	exit
""", "# MAP: vals hash key=u32 value=u64\n"), ("accept", None, None),
         "check_reg_type(): PTR_TO_MAP_VALUE is a valid key"),
    Case("helper_inside_spin_lock", _tc("bpf_get_prandom_u32 between lock and unlock",
                                        LOOKUP_KEY0 + """\
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	call bpf_spin_lock
	call bpf_get_prandom_u32  # bug: a call while locked
	r1 = r6
	call bpf_spin_unlock
out:
	r0 = 0
	exit
""", LOCKED_MAP), ("reject", 22, "function calls are not allowed while holding a lock"),
         "do_check_insn(): BPF_CALL with active_locks, -EINVAL"),
    Case("kfunc_inside_spin_lock", _tc("bpf_rcu_read_lock between lock and unlock",
                                       LOOKUP_KEY0 + """\
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	call bpf_spin_lock
	call bpf_rcu_read_lock  # bug: a kfunc call while locked
	call bpf_rcu_read_unlock
	r1 = r6
	call bpf_spin_unlock
out:
	r0 = 0
	exit
""", LOCKED_MAP), ("reject", 22, "function calls are not allowed while holding a lock"),
         "do_check_insn(): only the graph-lock kfuncs are allowed while locked"),
    Case("current_task_btf_is_trusted_ok",
         '# SEC("tp_btf/task_newtask")\n# bpf_get_current_task_btf() is a trusted task\n'
         """\
	call bpf_get_current_task_btf
	r1 = r0
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
""", ("accept", None, None), "bpf_get_current_task_btf_proto: RET_PTR_TO_BTF_ID_TRUSTED"),
    Case("current_task_btf_is_not_a_reference",
         '# SEC("tp_btf/task_newtask")\n# releasing the current task, never acquired\n'
         """\
	call bpf_get_current_task_btf
	r1 = r0
	call bpf_task_release  # bug: not a reference
	r0 = 0
	exit
""", ("reject", 22, "release kernel function bpf_task_release expects refcounted PTR_TO_BTF_ID"),
         "check_kfunc_args(): KF_RELEASE needs reg->ref_obj_id"),
]
AVAILABLE, WHY = kernel_available()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kfunclab_agrees_with_the_written_answer(case: Case) -> None:
    got = verify(parse_program(case.text, case.name + ".s"), btf="bundled")
    err = got.error
    assert (got.verdict.value, err.errno if err else None, err.message if err else None) == \
        case.answer


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_live_kernel_gives_the_written_answer(case: Case) -> None:
    from kfunclab.kernel import kernel_verdict

    kv = kernel_verdict(parse_program(case.text, case.name + ".s"))
    assert (kv.verdict, None if kv.accepted else kv.errno, kv.error) == case.answer
