"""Key rules, each by several programs of different shapes, and the same bug on every path.

The NULL check before a trusted argument, a reference kept through a stack spill, and the
nesting of RCU, preemption, IRQ flags, iterators and BPF-to-BPF calls (two deep). The expected
answers are written here, from the v6.18 source named beside each; the live half re-asks the
running kernel. ``PLACED`` puts one buggy body straight in ``main``, on the fall-through arm and
on the taken arm of a branch: a verifier that checks a rule on one path only fails one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify

NULL_TRUSTED = "Possibly NULL pointer passed to trusted arg0"
TASK_NOT_SCALAR = ("arg#0 pointer type STRUCT task_struct must point to scalar, or struct with "
                   "scalar")
LEAK = "BPF_EXIT instruction in main prog would lead to reference leak"
SLEEP = "r1 = r10\n\tr1 += -32\n\tr2 = 16\n\tr3 = 0\n\tr4 = 0\n\tcall bpf_copy_from_user_str"
SLEEP_RCU = "kernel func bpf_copy_from_user_str is sleepable within rcu_read_lock region"
SLEEP_PREEMPT = "kernel func bpf_copy_from_user_str is sleepable within non-preemptible region"
SLEEP_IRQ = "kernel func bpf_copy_from_user_str is sleepable within IRQ-disabled region"
EXIT_PREEMPT = "BPF_EXIT instruction in main prog cannot be used inside bpf_preempt_disable-ed " \
               "region"


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    error: str | None  # None: accepted
    source: str


def _prog(desc: str, body: str) -> str:
    return f'# SEC("syscall")\n# {desc}\n' + "\n".join(
        ln if ln.endswith(":") else "\t" + ln.strip() for ln in body.strip().splitlines()) + "\n"


# check_kfunc_args(): KF_TRUSTED_ARGS/KF_RCU args "if (reg_type_may_be_null(reg->type) ...)"
# -> "Possibly NULL pointer passed to trusted arg%d"; a NULL check narrows every copy with the
# same id (mark_ptr_or_null_regs()), spilled copies included.
NULL_CASES = [
    Case("null_unchecked_straight", _prog("maybe-NULL task straight to bpf_task_release", """
        r1 = 1
        call bpf_task_from_pid
        r1 = r0  # bug: not NULL-checked
        call bpf_task_release
        r0 = 0
        exit"""), NULL_TRUSTED, "check_kfunc_args(): reg_type_may_be_null()"),
    Case("null_literal_zero", _prog("a literal NULL to a trusted argument", """
        r1 = 0  # bug: NULL
        call bpf_task_release
        r0 = 0
        exit"""), NULL_TRUSTED, "check_kfunc_args(): register_is_null()"),
    Case("null_checked_on_one_arm", _prog("the check on one arm only, the use at the join", """
        call bpf_get_prandom_u32
        r7 = r0
        r1 = 1
        call bpf_task_from_pid
        r6 = r0
        if r7 == 0 goto join
        if r6 == 0 goto out
        join:
        r1 = r6  # bug: unchecked on the taken arm
        call bpf_task_release
        out:
        r0 = 0
        exit"""), NULL_TRUSTED, "check_kfunc_args(); states at 'join' differ in PTR_MAYBE_NULL"),
    Case("null_checked_on_both_arms_ok", _prog("the check on both arms", """
        call bpf_get_prandom_u32
        r7 = r0
        r1 = 1
        call bpf_task_from_pid
        r6 = r0
        if r7 == 0 goto other
        if r6 == 0 goto out
        goto join
        other:
        if r6 == 0 goto out
        join:
        r1 = r6
        call bpf_task_release
        out:
        r0 = 0
        exit"""), None, "mark_ptr_or_null_regs() on both arms"),
    Case("null_spilled_filled_unchecked", _prog("spilled and filled before any check", """
        r1 = 1
        call bpf_task_from_pid
        *(u64 *)(r10 - 8) = r0
        r6 = *(u64 *)(r10 - 8)
        r1 = r6  # bug: the filled copy is still maybe-NULL
        call bpf_task_acquire
        r0 = 0
        exit"""), NULL_TRUSTED, "check_kfunc_args() (KF_RCU counts as trusted for NULL)"),
    Case("null_inverted_check", _prog("if r6 != 0 jumps away; the NULL arm passes it", """
        r1 = 1
        call bpf_task_from_pid
        r6 = r0
        if r6 != 0 goto ok
        r1 = r6  # bug: known NULL here
        call bpf_task_release
        r0 = 0
        exit
        ok:
        r1 = r6
        call bpf_task_release
        r0 = 0
        exit"""), NULL_TRUSTED, "check_kfunc_args(); mark_ptr_or_null_regs() on the NULL arm"),
    Case("null_checked_copy_spilled_ok", _prog("a spilled copy is narrowed by the check", """
        r1 = 1
        call bpf_task_from_pid
        *(u64 *)(r10 - 8) = r0
        if r0 == 0 goto out
        r1 = *(u64 *)(r10 - 8)
        call bpf_task_release
        out:
        r0 = 0
        exit"""), None, "mark_ptr_or_null_regs() walks spilled slots (bpf_for_each_spilled_reg)"),
]

# A spill keeps the whole register (save_register_state() copies ref_obj_id); a release
# invalidates every copy with that ref_obj_id, spilled ones too (release_reference() ->
# bpf_for_each_reg_in_vstate); a fill brings the reference back.
SPILL_CASES = [
    Case("spill_fill_release_ok", _prog("spilled, filled, released via the filled copy", """
        r1 = 1
        call bpf_task_from_pid
        if r0 == 0 goto out
        *(u64 *)(r10 - 8) = r0
        r1 = *(u64 *)(r10 - 8)
        call bpf_task_release
        out:
        r0 = 0
        exit"""), None, "save_register_state() keeps ref_obj_id; release_reference()"),
    Case("spill_release_then_original", _prog("released via the fill, then via the original", """
        r1 = 1
        call bpf_task_from_pid
        if r0 == 0 goto out
        r6 = r0
        *(u64 *)(r10 - 8) = r0
        r1 = *(u64 *)(r10 - 8)
        call bpf_task_release
        r1 = r6  # double release
        call bpf_task_release
        out:
        r0 = 0
        exit"""), TASK_NOT_SCALAR, "release_reference() invalidates r6 (same ref_obj_id)"),
    Case("spill_release_then_fill", _prog("released via the register, then the slot filled", """
        r1 = 1
        call bpf_task_from_pid
        if r0 == 0 goto out
        *(u64 *)(r10 - 8) = r0
        r1 = r0
        call bpf_task_release
        r1 = *(u64 *)(r10 - 8)  # use after release
        call bpf_task_release
        out:
        r0 = 0
        exit"""), TASK_NOT_SCALAR, "release_reference() scrubs the spilled copy too"),
    Case("spill_on_one_arm", _prog("spilled to fp-16 on one arm only, both slots released", """
        call bpf_get_prandom_u32
        r7 = r0
        r1 = 1
        call bpf_task_from_pid
        if r0 == 0 goto out
        *(u64 *)(r10 - 8) = r0
        if r7 == 0 goto join
        *(u64 *)(r10 - 16) = r0
        join:
        r1 = *(u64 *)(r10 - 8)
        call bpf_task_release
        r1 = *(u64 *)(r10 - 16)  # use after release (or a scalar on the other arm)
        call bpf_task_release
        out:
        r0 = 0
        exit"""), TASK_NOT_SCALAR, "stacksafe() at 'join'; release_reference()"),
    Case("spill_two_slots_one_release_ok", _prog("spilled twice, released once", """
        r1 = 1
        call bpf_task_from_pid
        if r0 == 0 goto out
        *(u64 *)(r10 - 8) = r0
        *(u64 *)(r10 - 16) = r0
        r1 = *(u64 *)(r10 - 16)
        call bpf_task_release
        out:
        r0 = 0
        exit"""), None, "one reference, many copies: refs[] counts acquisitions"),
    Case("spill_slot_overwritten_leak", _prog("the only copy, in a slot, overwritten", """
        r1 = 1
        call bpf_task_from_pid
        if r0 == 0 goto out
        *(u64 *)(r10 - 8) = r0
        r0 = 0
        *(u64 *)(r10 - 8) = r0  # leak: the last copy is gone
        out:
        r0 = 0
        exit"""), LEAK, "check_reference_leak() at BPF_EXIT"),
]

# Nesting, two deep. RCU may not nest (6.18 keeps a flag: check_kfunc_call() "nested rcu read
# lock"); preemption counts (active_preempt_locks++/--); IRQ flags nest LIFO
# (process_irq_flag(), active_irq_id); iterators nest by stack slot; BPF-to-BPF calls carry
# references and lock state across frames (prepare_func_exit() keeps refs and locks).
NEST_CASES = [
    Case("rcu_nested", _prog("rcu_read_lock twice", """
        call bpf_rcu_read_lock
        call bpf_rcu_read_lock  # bug: RCU sections do not nest in 6.18
        call bpf_rcu_read_unlock
        call bpf_rcu_read_unlock
        r0 = 0
        exit"""), "nested rcu read lock (kernel function bpf_rcu_read_lock)",
         "check_kfunc_call(): rcu_lock && active_rcu_lock"),
    Case("preempt_nested_two_enables_then_sleep_ok", _prog("disable x2, enable x2, sleep", f"""
        call bpf_preempt_disable
        call bpf_preempt_disable
        call bpf_preempt_enable
        call bpf_preempt_enable
        {SLEEP}
        r0 = 0
        exit"""), None, "check_kfunc_call(): active_preempt_locks back to 0"),
    Case("preempt_nested_one_enable_then_sleep", _prog("disable x2, enable x1, sleep", f"""
        call bpf_preempt_disable
        call bpf_preempt_disable
        call bpf_preempt_enable
        {SLEEP}  # bug: still one level disabled
        call bpf_preempt_enable
        r0 = 0
        exit"""), SLEEP_PREEMPT, "check_kfunc_call(): sleepable && active_preempt_locks"),
    Case("preempt_nested_one_enable_then_exit", _prog("disable x2, enable x1, exit", """
        call bpf_preempt_disable
        call bpf_preempt_disable
        call bpf_preempt_enable
        r0 = 0
        exit  # bug: one level still disabled"""), EXIT_PREEMPT,
         "process_bpf_exit_full()/check_resource_leak(): active_preempt_locks"),
    Case("preempt_nested_three_enables", _prog("disable x2, enable x3", """
        call bpf_preempt_disable
        call bpf_preempt_disable
        call bpf_preempt_enable
        call bpf_preempt_enable
        call bpf_preempt_enable  # bug: nothing left to enable
        r0 = 0
        exit"""), "unmatched attempt to enable preemption (kernel function bpf_preempt_enable)",
         "check_kfunc_call(): preempt_enable && !active_preempt_locks"),
    Case("irq_nested_inner_restored_then_sleep", _prog("two saves, one restore, sleep", f"""
        r1 = r10
        r1 += -8
        call bpf_local_irq_save
        r1 = r10
        r1 += -16
        call bpf_local_irq_save
        r1 = r10
        r1 += -16
        call bpf_local_irq_restore
        {SLEEP}  # bug: the outer save still holds
        r1 = r10
        r1 += -8
        call bpf_local_irq_restore
        r0 = 0
        exit"""), SLEEP_IRQ, "check_kfunc_call(): sleepable && active_irq_id"),
    Case("irq_nested_lifo_then_sleep_ok", _prog("two saves, two restores, sleep", f"""
        r1 = r10
        r1 += -8
        call bpf_local_irq_save
        r1 = r10
        r1 += -16
        call bpf_local_irq_save
        r1 = r10
        r1 += -16
        call bpf_local_irq_restore
        r1 = r10
        r1 += -8
        call bpf_local_irq_restore
        {SLEEP}
        r0 = 0
        exit"""), None, "unmark_stack_slot_irq_flag(): active_irq_id back to 0"),
    Case("irq_nested_outer_first", _prog("two saves, the outer restored first", """
        r1 = r10
        r1 += -8
        call bpf_local_irq_save
        r1 = r10
        r1 += -16
        call bpf_local_irq_save
        r1 = r10
        r1 += -8
        call bpf_local_irq_restore  # bug: out of order
        r1 = r10
        r1 += -16
        call bpf_local_irq_restore
        r0 = 0
        exit"""), "cannot restore irq state out of order, expected id=2 acquired at insn_idx=5",
         "unmark_stack_slot_irq_flag(): id != active_irq_id"),
    Case("iter_nested_ok", _prog("an iterator loop inside an iterator loop", """
        r1 = r10
        r1 += -8
        r2 = 0
        r3 = 2
        call bpf_iter_num_new
        outer:
        r1 = r10
        r1 += -8
        call bpf_iter_num_next
        if r0 == 0 goto done
        r1 = r10
        r1 += -16
        r2 = 0
        r3 = 2
        call bpf_iter_num_new
        inner:
        r1 = r10
        r1 += -16
        call bpf_iter_num_next
        if r0 == 0 goto inner_done
        goto inner
        inner_done:
        r1 = r10
        r1 += -16
        call bpf_iter_num_destroy
        goto outer
        done:
        r1 = r10
        r1 += -8
        call bpf_iter_num_destroy
        r0 = 0
        exit"""), None, "process_iter_next_call(): loops converge per iterator depth"),
    Case("iter_nested_inner_not_destroyed", _prog("the inner iterator is never destroyed", """
        r1 = r10
        r1 += -8
        r2 = 0
        r3 = 2
        call bpf_iter_num_new
        outer:
        r1 = r10
        r1 += -8
        call bpf_iter_num_next
        if r0 == 0 goto done
        r1 = r10
        r1 += -16
        r2 = 0
        r3 = 2
        call bpf_iter_num_new  # leak: created on every outer round, never destroyed
        inner:
        r1 = r10
        r1 += -16
        call bpf_iter_num_next
        if r0 == 0 goto inner_done
        goto inner
        inner_done:
        goto outer
        done:
        r1 = r10
        r1 += -8
        call bpf_iter_num_destroy
        r0 = 0
        exit"""), LEAK, "check_reference_leak(): the iterator's ref"),
    Case("calls_two_deep_ref_returned_ok", _prog("g acquires, f returns it, main releases", """
        call f
        if r0 == 0 goto out
        r1 = r0
        call bpf_task_release
        out:
        r0 = 0
        exit
        f:
        call g
        exit
        g:
        r1 = 1
        call bpf_task_from_pid
        exit"""), None, "prepare_func_exit(): references cross static subprog returns"),
    Case("calls_two_deep_ref_dropped", _prog("g acquires, main drops it", """
        call f
        r0 = 0  # leak
        exit
        f:
        call g
        exit
        g:
        r1 = 1
        call bpf_task_from_pid
        exit"""), LEAK, "check_reference_leak() at main's BPF_EXIT"),
    Case("calls_two_deep_rcu_unlocked_in_main_ok", _prog("g locks, main unlocks", """
        call f
        call bpf_rcu_read_unlock
        r0 = 0
        exit
        f:
        call g
        r0 = 0
        exit
        g:
        call bpf_rcu_read_lock
        r0 = 0
        exit"""), None, "active_rcu_lock is per verifier state, not per frame"),
    Case("calls_two_deep_preempt_never_enabled", _prog("g disables, nobody enables", """
        call f
        r0 = 0
        exit  # bug: preemption still disabled
        f:
        call g
        r0 = 0
        exit
        g:
        call bpf_preempt_disable
        r0 = 0
        exit"""), EXIT_PREEMPT, "check_resource_leak() at main's exit only"),
    Case("calls_two_deep_sleep_under_callers_rcu", _prog("main holds RCU, g sleeps", f"""
        call bpf_rcu_read_lock
        call f
        call bpf_rcu_read_unlock
        r0 = 0
        exit
        f:
        call g
        r0 = 0
        exit
        g:
        {SLEEP}  # bug: inside the caller's RCU section
        r0 = 0
        exit"""), SLEEP_RCU, "check_kfunc_call(): in_rcu_cs() across frames"),
]

# One buggy body, placed straight, on the fall-through arm and on the taken arm.
BODIES = {
    "null_to_trusted": ("r1 = 1\ncall bpf_task_from_pid\nr1 = r0  # bug\ncall bpf_task_release",
                        NULL_TRUSTED),
    "spill_use_after_release": ("r1 = 1\ncall bpf_task_from_pid\nif r0 == 0 goto {out}\n"
                                "*(u64 *)(r10 - 8) = r0\nr1 = r0\ncall bpf_task_release\n"
                                "r1 = *(u64 *)(r10 - 8)  # use after release\n"
                                "call bpf_task_release", TASK_NOT_SCALAR),
    "sleep_in_rcu": ("call bpf_rcu_read_lock\n" + SLEEP.replace("\t", "")
                     + "  # bug\ncall bpf_rcu_read_unlock", SLEEP_RCU),
    "preempt_nested_sleep": ("call bpf_preempt_disable\ncall bpf_preempt_disable\n"
                             "call bpf_preempt_enable\n" + SLEEP.replace("\t", "")
                             + "  # bug\ncall bpf_preempt_enable", SLEEP_PREEMPT),
    "leak": ("r1 = 1\ncall bpf_task_from_pid\nif r0 == 0 goto {out}\nr6 = r0  # leak", LEAK),
}


def _placed(body: str, where: str) -> str:
    if where == "straight":
        return _prog("straight", body.format(out="out") + "\nout:\nr0 = 0\nexit")
    head = "call bpf_get_prandom_u32\nr6 = r0\nr7 = 0\nr7 += 1\n"
    bug, fine = body.format(out="out"), "r7 += 1"
    first, second = (bug, fine) if where == "fall_through" else (fine, bug)
    return _prog(where, head + f"if r6 == 0 goto other\n{first}\ngoto out\nother:\n{second}\n"
                 "out:\nr0 = 0\nexit")


PLACED = [Case(f"{name}-{where}", _placed(body, where), error, "the same rule on every path")
          for name, (body, error) in BODIES.items()
          for where in ("straight", "fall_through", "taken")]

CASES = NULL_CASES + SPILL_CASES + NEST_CASES + PLACED
# The errno of each refusal (EACCES 13: check_kfunc_args(), the sleepable checks,
# release_irq_state();
# EINVAL 22: release_reference(), check_resource_leak(), the RCU/preempt lock counting).
ERRNO = {
    "null_unchecked_straight": 13, "null_literal_zero": 13, "null_checked_on_one_arm": 13,
    "null_spilled_filled_unchecked": 13, "null_inverted_check": 13,
    "spill_release_then_original": 22, "spill_release_then_fill": 22, "spill_on_one_arm": 22,
    "spill_slot_overwritten_leak": 22, "rcu_nested": 22,
    "preempt_nested_one_enable_then_sleep": 13, "preempt_nested_one_enable_then_exit": 22,
    "preempt_nested_three_enables": 22, "irq_nested_inner_restored_then_sleep": 13,
    "irq_nested_outer_first": 13, "iter_nested_inner_not_destroyed": 22,
    "calls_two_deep_ref_dropped": 22, "calls_two_deep_preempt_never_enabled": 22,
    "calls_two_deep_sleep_under_callers_rcu": 13, "null_to_trusted-straight": 13,
    "null_to_trusted-fall_through": 13, "null_to_trusted-taken": 13,
    "spill_use_after_release-straight": 22, "spill_use_after_release-fall_through": 22,
    "spill_use_after_release-taken": 22, "sleep_in_rcu-straight": 13,
    "sleep_in_rcu-fall_through": 13, "sleep_in_rcu-taken": 13,
    "preempt_nested_sleep-straight": 13, "preempt_nested_sleep-fall_through": 13,
    "preempt_nested_sleep-taken": 13, "leak-straight": 22, "leak-fall_through": 22,
    "leak-taken": 22,
}
AVAILABLE, WHY = kernel_available()


def _want(case: Case) -> tuple[str, int | None, str | None]:
    return ("accept", None, None) if case.error is None else ("reject", ERRNO[case.name],
                                                               case.error)



@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kfunclab_agrees_with_the_written_answer(case: Case) -> None:
    got = verify(parse_program(case.text, case.name + ".s"), btf="bundled")
    err = got.error
    assert (got.verdict.value, err.errno if err else None, err.message if err else None) == \
        _want(case)


def test_every_rule_has_several_shapes_and_both_verdicts() -> None:
    for group in (NULL_CASES, SPILL_CASES):
        assert sum(c.error is not None for c in group) >= 3
        assert sum(c.error is None for c in group) >= 2
    assert len({c.text for c in PLACED}) == len(PLACED)


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_live_kernel_gives_the_written_answer(case: Case) -> None:
    from kfunclab.kernel import kernel_verdict

    kv = kernel_verdict(parse_program(case.text, case.name + ".s"))
    assert (kv.verdict, None if kv.accepted else kv.errno, kv.error) == _want(case)
