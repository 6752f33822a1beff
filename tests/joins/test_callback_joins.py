"""A pruning join on callback depth: two arms meet at a ``bpf_loop`` call site.

``bpf_loop(1, cb, &v, 0)`` with the context ``v`` on the stack; ``cb`` faults when ``v`` is 7
and otherwise increments it. The first arm stores 0. The kernel walks it first, callback
included: the callback's exit goes back to the call site with ``callback_depth`` 1, where the
context is widened to an unknown scalar (``widen_imprecise_scalars()``) and a checkpoint is
kept; one iteration is all ``nr_loops`` allows, so no further visit runs with that unknown
value. The second arm then reaches the call site with depth 0:

- ``ok``: it stores 0 as well, and is pruned before the call (the first arm's state covers it);
- ``bad``: it stores 7. The only checkpoint that covers ``v == 7`` is the widened one, whose
  ``callback_depth`` (1) is larger: ``func_states_equal()`` refuses it ("old->callback_depth >
  cur->callback_depth"), so the callback is visited with 7 and faults.

A verifier that ignored the callback depth would prune the bad arm at the call site and
accept it. The answers are written here from the v6.18 source (kernel/bpf/verifier.c:
func_states_equal(), push_callback_call(), prepare_func_exit()); the live half asks the
running kernel.
"""

from __future__ import annotations

import re

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify

TEMPLATE = """\
# SEC("tc")
# join at a bpf_loop call site: the second arm brings the context value {what}
	call bpf_get_prandom_u32
	r6 = r0
	r1 = 0
	*(u64 *)(r10 -8) = r1
	if r6 == 0 goto second
	goto join
second:
{hole}
	*(u64 *)(r10 -8) = r1
join:
	r1 = 1
	r2 = cb ll
	r3 = r10
	r3 += -8
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
cb:
	r1 = *(u64 *)(r2 +0)
	if r1 != 7 goto fine
	r0 = *(u64 *)(r1 +0)
fine:
	r1 += 1
	*(u64 *)(r2 +0) = r1
	r0 = 0
	exit
"""
HOLES = {"ok": ("0", "\tr1 = 0"), "bad": ("7", "\tr1 = 7  # bug: the callback faults on 7")}
ANSWERS = {"ok": ("accept", None, None),
           "bad": ("reject", 13, "R1 invalid mem access 'scalar'")}

AVAILABLE, WHY = kernel_available()


def _program(which: str):
    what, hole = HOLES[which]
    return parse_program(TEMPLATE.format(what=what, hole=hole), f"callback_depth-{which}.s")


@pytest.mark.parametrize("which", ["ok", "bad"])
def test_kfunclab_agrees_with_the_written_answer(which: str) -> None:
    got = verify(_program(which), btf="bundled")
    err = got.error
    assert (got.verdict.value, err.errno if err else None, err.message if err else None) == \
        ANSWERS[which]


def test_the_bad_arm_reaches_the_callback_with_seven() -> None:
    prog = _program("bad")
    got = verify(prog, btf="bundled")
    # the fault is the callback's load through the context value, not anything in main
    assert got.error is not None and got.error.insn > prog.labels["cb"]
    call = prog.labels["join"] + 6  # r1, r2 (ld_imm64: 2 slots), r3, r3, r4, then the call
    assert not any(p.insn == call for p in got.prune_events
                   if p.path_id == got.error.path_id)


def test_the_ok_arm_is_pruned_before_the_call() -> None:
    prog = _program("ok")
    got = verify(prog, btf="bundled")
    assert any(prog.labels["join"] <= p.insn < prog.labels["cb"] for p in got.prune_events)


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
@pytest.mark.parametrize("which", ["ok", "bad"])
def test_the_live_kernel_gives_the_written_answer(which: str) -> None:
    from kfunclab.kernel import kernel_verdict

    kv = kernel_verdict(_program(which))
    assert (kv.verdict, None if kv.accepted else kv.errno, kv.error) == ANSWERS[which]


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
def test_the_live_kernel_prunes_the_ok_arm_where_kfunclab_does() -> None:
    from kfunclab.kernel import kernel_verdict

    prog = _program("ok")
    log = kernel_verdict(prog, log_level=2).log
    safe = {int(m.group(1)) for m in re.finditer(r"(?:^|\n)(?:from \d+ to )?(\d+): safe", log)}
    ours = {p.insn for p in verify(prog, btf="bundled").prune_events}
    assert safe and safe == ours
