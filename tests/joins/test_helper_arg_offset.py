"""A helper's ARG_PTR_TO_BTF_ID argument at an offset (issue 16, run D's untested survivor).

check_func_arg() first runs check_reg_type(), whose btf_struct_ids_match() walks the register's
struct *at its fixed offset* (reg->off) to the wanted one, then check_func_arg_reg_off(): a
PTR_TO_BTF_ID, PTR_TRUSTED or MEM_RCU pointer may keep a fixed offset (fixed_off_ok), never a
variable one (Linux 6.18 kernel/bpf/verifier.c, btf.c). ``struct cgroup_root`` embeds
``struct cgroup cgrp`` past its start, and the cgroup_setup_root tracepoint hands a trusted
cgroup_root, so ``&root->cgrp`` is a cgroup for bpf_cgrp_storage_get(). Offsets move between
builds: each program takes them from the BTF it is checked against.
"""

from __future__ import annotations

import pytest

from kfunclab.errors import KfunclabError
from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify

AVAILABLE, WHY = kernel_available()

CGRP = """\
# SEC("tp_btf/cgroup_setup_root")
# MAP: m cgrp_storage key=int value=u64 max_entries=0 flags=1
	r6 = *(u64 *)(r1 + 0)           # struct cgroup_root *root (trusted)
	call bpf_get_prandom_u32
	r0 &= {mask}
	r2 = r6
	r2 += {off}
	r2 += r0                        # a variable offset unless mask is 0
	r1 = m ll
	r3 = 0
	r4 = 0
	call bpf_cgrp_storage_get       # ARG_PTR_TO_BTF_ID: struct cgroup
	r0 = 0
	exit
"""
TASK = """\
# SEC("tp_btf/task_newtask")
# MAP: m task_storage key=int value=u64 max_entries=0 flags=1
	r2 = *(u64 *)(r1 + 0)           # struct task_struct *task (trusted)
	r2 += {off}
	r1 = m ll
	r3 = 0
	r4 = 0
	call bpf_task_storage_get       # ARG_PTR_TO_BTF_ID: struct task_struct
	r0 = 0
	exit
"""


def _cgrp_offset(which: str) -> int:
    from kfunclab.btf import load_btf

    btf = load_btf(which)
    root = btf.type_by_id(btf.find("cgroup_root", "STRUCT")[0])
    return next(m.byte_offset for m in root.members  # type: ignore[attr-defined]
                if m.name == "cgrp")


# (name, program for an offset of cgroup_root.cgrp, answer: verdict, errno, first error)
CASES = [
    # btf_struct_ids_match() finds cgrp at reg->off; PTR_TO_BTF_ID | PTR_TRUSTED: fixed_off_ok
    ("cgroup_inside_its_root", lambda cg: CGRP.format(mask=0, off=cg),
     ("accept", None, None)),
    # the walk lands in cgroup_root's first member (a pointer), not a cgroup
    ("cgroup_root_itself", lambda cg: CGRP.format(mask=0, off=0),
     ("reject", 13, "R2 is of type cgroup_root but cgroup is expected")),
    ("eight_bytes_before_the_cgroup", lambda cg: CGRP.format(mask=0, off=cg - 8),
     ("reject", 13, "R2 is of type cgroup_root but cgroup is expected")),
    # the type check passes (reg->off is at cgrp), then __check_ptr_off_reg() sees var_off
    ("cgroup_at_a_variable_offset", lambda cg: CGRP.format(mask=8, off=cg),
     ("reject", 13, "variable trusted_ptr_ access var_off=(0x0; 0x8) disallowed")),
    # the wanted type itself at a fixed offset: btf_struct_ids_match() walks it (off != 0)
    ("task_plus_8", lambda cg: TASK.format(off=8),
     ("reject", 13, "R2 is of type task_struct but task_struct is expected")),
    ("task_minus_8", lambda cg: TASK.format(off=-8),
     ("reject", 13, "R2 is of type task_struct but task_struct is expected")),
    ("task_itself", lambda cg: TASK.format(off=0), ("accept", None, None)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_kfunclab_answers_a_btf_argument_at_an_offset(case) -> None:
    """Kills helper_engine.py _check_arg_reg_off's and _check_btf_arg's offset rules."""
    name, program, answer = case
    got = verify(parse_program(program(_cgrp_offset("bundled")), name + ".s"), btf="bundled")
    err = got.error
    assert (got.verdict.value, err.errno if err else None, err.message if err else None) == \
        answer


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_live_kernel_answers_a_btf_argument_at_an_offset(case) -> None:
    from kfunclab.btf import load_btf
    from kfunclab.kernel import kernel_verdict

    try:
        load_btf("live")
    except (OSError, KfunclabError) as exc:  # no readable kernel BTF: nothing to ask
        pytest.skip(f"no live kernel BTF: {exc}")
    name, program, answer = case
    kv = kernel_verdict(parse_program(program(_cgrp_offset("live")), name + ".s"))
    assert (kv.verdict, None if kv.accepted else kv.errno, kv.error) == answer
