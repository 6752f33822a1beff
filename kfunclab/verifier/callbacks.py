"""Callbacks: helpers that call a subprogram of the program (``bpf_loop``,
``bpf_for_each_map_elem``, ``bpf_user_ringbuf_drain``, ``bpf_find_vma``,
``bpf_timer_set_callback``), as Linux
6.18 verifies them (kernel/bpf/verifier.c).

A timer's callback (and a bpf_wq's, rules/wq.py) is *async*: ``push_async_cb()`` queues a
fresh state (no references, no locks, nothing of the caller's path) whose frame 0 is the
callback, with the timer's map, key and value in R1-R3; it exits as a program does, returning
0 ("At async callback return").

A callback's address is an ``ld_imm64`` with ``src_reg=BPF_PSEUDO_FUNC``: ``check_ld_imm64()``
makes the register ``PTR_TO_FUNC`` naming the subprogram (kept here as ``extra=(start,)``).
The helper checks its arguments, then ``push_callback_call()`` pushes a branch that enters the
callback in a new frame (``setup_func_entry()`` with the helper's ``set_*_callback_state()``),
while the current path goes on after the call as if the callback never ran.

The callback's ``exit`` (``prepare_func_exit()``) checks R0 against the callback's return
range and goes back to the *call* itself, not past it: the helper runs again, may push the
callback again, and the visits stop where ``is_state_visited()`` finds the call site's state
already covered (``calls_callback`` prune points compare with RANGE_WITHIN) or, for
``bpf_loop``, when ``callback_depth`` reaches ``nr_loops``. Before that, imprecise scalars
that changed since the previous visit are widened to unknown (``widen_imprecise_scalars()``),
so a counter in the callback's context converges instead of being unrolled.

>>> sorted(MODELLED)[:3]
['bpf_find_vma', 'bpf_for_each_map_elem', 'bpf_loop']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kfunclab.isa.helpers import MAP_TYPES
from kfunclab.isa.insn import Call, LoadImm64
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.regs import NOT_INIT, UNKNOWN_SCALAR, Reg, RegType, reg_type_str
from kfunclab.verifier.state import FuncState, VState
from kfunclab.verifier.widen import same_callsites, widen_imprecise_scalars

if TYPE_CHECKING:
    from kfunclab.verifier.branching import Branches as Explorer

#: include/linux/bpf_verifier.h MAX_CALL_FRAMES
MAX_CALL_FRAMES = 8
#: map types whose ops have map_set_for_each_callback_args / map_for_each_callback
_FOR_EACH_MAPS = frozenset({"array", "percpu_array", "hash", "percpu_hash", "lru_hash",
                            "lru_percpu_hash"})
#: the return range of every sync callback (``retval_range(0, 1)``)
CALLBACK_RET_RANGE = (0, 1)


def load_func(env: Env, state: VState, insn: LoadImm64, idx: int) -> None:
    """``check_ld_imm64()`` for BPF_PSEUDO_FUNC: R<dst> = the callback subprogram's address."""
    target = idx + 1 + insn.imm
    if target in env.program.global_funcs:
        raise Reject(msg.CALLBACK_NOT_STATIC, errno=22)
    state.regs[insn.dst] = Reg(RegType.PTR_TO_FUNC, extra=(target,))


def _arg(state: VState, regno: int) -> Reg:
    reg = state.regs[regno]
    if reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
    return reg


def _mismatch(reg: Reg, regno: int, expected: str) -> Reject:
    return Reject(msg.ARG_TYPE_MISMATCH.format(regno=regno, type=reg_type_str(reg.type, reg.flags),
                                               expected=expected))


def _func_arg(state: VState, regno: int) -> int:
    """ARG_PTR_TO_FUNC: the callback's first instruction."""
    reg = _arg(state, regno)
    if reg.type is not RegType.PTR_TO_FUNC:
        raise _mismatch(reg, regno, "func")
    return reg.extra[0]


def _stack_or_null_arg(env: Env, state: VState, regno: int) -> None:
    """ARG_PTR_TO_STACK_OR_NULL: a stack pointer, or NULL (then marked precise)."""
    from kfunclab.verifier.precision import mark_chain_precision

    reg = _arg(state, regno)
    if reg.is_null:
        mark_chain_precision(env, state, {regno})
        return
    if reg.type is not RegType.PTR_TO_STACK:
        raise _mismatch(reg, regno, "fp")


def _anything_arg(env: Env, state: VState, regno: int, name: str) -> None:
    reg = _arg(state, regno)
    if reg.is_pointer and not env.allow_ptr_leaks:
        raise Reject(f"R{regno} leaks addr into helper function")
    del name


def _clobber_and_return(state: VState) -> None:
    from kfunclab.verifier.rules.helper_args import int_return

    int_return(state)


# --- push_callback_call ---------------------------------------------------------------------------
SetState = Callable[[Env, FuncState, FuncState], None]


def push_callback_call(env: Env, state: VState, idx: int, start: int, set_state: SetState,
                       explorer: Explorer) -> None:
    """``push_callback_call()`` for a sync callback: a branch enters it, this path goes on."""
    if len(state.frames) >= MAX_CALL_FRAMES:  # setup_func_entry()
        raise Reject(f"the call stack of {len(state.frames) + 1} frames is too deep", errno=7)
    env.callback_subprogs[start] = "cb"  # subprog_info[].is_cb
    branch = explorer.push_branch(state, start, idx)
    caller = branch.cur
    regs = [NOT_INIT] * 11
    from kfunclab.verifier.regs import stack_pointer

    regs[10] = stack_pointer(0, len(branch.frames))
    callee = FuncState(regs, {}, len(branch.frames), idx, cb="cb")
    set_state(env, caller, callee)
    branch.frames.append(callee)
    branch.callback_unroll_depth += 1
    caller.callback_depth += 1
    state.cur.callback_depth = 0


def _set_loop_state(env: Env, caller: FuncState, callee: FuncState) -> None:
    """``set_loop_callback_state()``: callback_fn(u32 index, void *ctx)."""
    callee.regs[1] = UNKNOWN_SCALAR
    callee.regs[2] = caller.regs[3]


def _set_map_elem_state(env: Env, caller: FuncState, callee: FuncState) -> None:
    """``map_set_for_each_callback_args()``: callback_fn(map, key, value, ctx)."""
    m = caller.regs[1].map
    callee.regs[1] = caller.regs[1]
    callee.regs[2] = Reg(RegType.PTR_TO_MAP_KEY, map=m)
    callee.regs[3] = Reg(RegType.PTR_TO_MAP_VALUE, map=m)
    callee.regs[4] = caller.regs[3]


def _set_user_ringbuf_state(env: Env, caller: FuncState, callee: FuncState) -> None:
    """``set_user_ringbuf_callback_state()``: callback_fn(const struct bpf_dynptr *, ctx)."""
    # mark_dynptr_cb_reg(): a local dynptr the callback may read but not release or rebuild
    callee.regs[1] = Reg(RegType.CONST_PTR_TO_DYNPTR, id=env.new_id(), extra=("local",))
    callee.regs[2] = caller.regs[3]


# --- the helpers ---------------------------------------------------------------------------------
def _h_loop(env: Env, state: VState, insn: Call, idx: int, explorer: Explorer) -> None:
    """``bpf_loop(nr_loops, callback_fn, callback_ctx, flags)``."""
    from kfunclab.verifier.precision import mark_chain_precision

    _anything_arg(env, state, 1, "nr_loops")
    start = _func_arg(state, 2)
    _stack_or_null_arg(env, state, 3)
    _anything_arg(env, state, 4, "flags")
    if state.regs[4].is_null:  # update_loop_inline_state(): inlining wants flags known zero
        mark_chain_precision(env, state, {4})
    mark_chain_precision(env, state, {1})  # the iteration count decides when to stop
    nr = state.regs[1]
    umax = nr.var.umax if nr.type is RegType.SCALAR else (1 << 64) - 1
    if state.cur.callback_depth < umax:
        push_callback_call(env, state, idx, start, _set_loop_state, explorer)
    else:
        state.cur.callback_depth = 0
        log = getattr(env, "log", None)
        if log is not None and log.level & 2:
            log.line(f"frame{len(state.frames) - 1} bpf_loop iteration limit reached")
    _clobber_and_return(state)


def _h_for_each_map_elem(env: Env, state: VState, insn: Call, idx: int,
                         explorer: Explorer) -> None:
    """``bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags)``."""
    reg = _arg(state, 1)
    if reg.type is not RegType.CONST_PTR_TO_MAP:
        raise _mismatch(reg, 1, "map_ptr")
    start = _func_arg(state, 2)
    _stack_or_null_arg(env, state, 3)
    _anything_arg(env, state, 4, "flags")
    m = reg.map
    if m.map_type not in _FOR_EACH_MAPS:
        if m.map_type in MAP_TYPES:
            raise Unsupported(f"bpf_for_each_map_elem on a {m.map_type} map is not modelled",
                              idx)
        raise Unsupported(f"bpf_for_each_map_elem on map type {m.map_type}", idx)
    push_callback_call(env, state, idx, start, _set_map_elem_state, explorer)
    _clobber_and_return(state)


def _h_user_ringbuf_drain(env: Env, state: VState, insn: Call, idx: int,
                          explorer: Explorer) -> None:
    """``bpf_user_ringbuf_drain(map, callback_fn, ctx, flags)``: a user ring buffer map."""
    reg = _arg(state, 1)
    if reg.type is not RegType.CONST_PTR_TO_MAP:
        raise _mismatch(reg, 1, "map_ptr")
    if reg.map.map_type != "user_ringbuf":  # check_map_func_compatibility()
        raise Reject(msg.MAP_TYPE_FOR_FUNC.format(
            map_type=MAP_TYPES.get(reg.map.map_type, reg.map.map_type),
            func=f"bpf_user_ringbuf_drain#{insn.imm}"), errno=22)
    start = _func_arg(state, 2)
    _stack_or_null_arg(env, state, 3)
    _anything_arg(env, state, 4, "flags")
    push_callback_call(env, state, idx, start, _set_user_ringbuf_state, explorer)
    _clobber_and_return(state)


def _set_find_vma_state(env: Env, caller: FuncState, callee: FuncState) -> None:
    """``set_find_vma_callback_state()``: callback_fn(task, vma, ctx)."""
    from kfunclab.verifier.trust import kernel_struct_reg

    callee.regs[1] = caller.regs[1]
    callee.regs[2] = kernel_struct_reg(env, "vm_area_struct")  # untrusted, never NULL
    callee.regs[3] = caller.regs[4]


def _h_find_vma(env: Env, state: VState, insn: Call, idx: int, explorer: Explorer) -> None:
    """``bpf_find_vma(task, addr, callback_fn, callback_ctx, flags)``: the prototype's table
    (CAP_PERFMON in ``bpf_base_func_proto()``), the task argument as any ARG_PTR_TO_BTF_ID
    (``rules/helper_engine.py``), then the callback."""
    from kfunclab.verifier.helper_specs import helper_spec
    from kfunclab.verifier.rules.helper_engine import CallMeta, check_func_arg, choose_proto

    spec = helper_spec("bpf_find_vma")
    fn = choose_proto(env, spec, insn, idx)  # type: ignore[arg-type]
    check_func_arg(env, state, 1, fn.args[0], fn, CallMeta(), spec.name, idx)  # type: ignore
    _anything_arg(env, state, 2, "addr")
    start = _func_arg(state, 3)
    _stack_or_null_arg(env, state, 4)
    _anything_arg(env, state, 5, "flags")
    push_callback_call(env, state, idx, start, _set_find_vma_state, explorer)
    _clobber_and_return(state)


# --- bpf_timer ----------------------------------------------------------------------------------
def _timer_arg(state: VState, regno: int = 1) -> Reg:
    """ARG_PTR_TO_TIMER (``process_timer_func()``): exactly at the map value's bpf_timer."""
    reg = _arg(state, regno)
    if reg.type is not RegType.PTR_TO_MAP_VALUE or reg.flags:
        raise _mismatch(reg, regno, "map_value")
    if not reg.var.is_const:
        raise Reject(f"R{regno} doesn't have constant offset. bpf_timer has to be at the "
                     "constant offset", errno=22)
    struct = reg.map.value.struct
    timers = [m for m in (struct.members if struct is not None else ())
              if m.type_name == "bpf_timer"]
    if not timers:
        raise Reject(f"map '{reg.map.name}' has no valid bpf_timer", errno=22)
    off = reg.var.const_value + reg.off
    if off != timers[0].offset:
        raise Reject(f"off {off} doesn't point to 'struct bpf_timer' that is at "
                     f"{timers[0].offset}", errno=22)
    return reg


def _h_timer_init(env: Env, state: VState, insn: Call, idx: int, explorer: Explorer) -> None:
    """``bpf_timer_init(timer, map, flags)``: the map is the timer's own."""
    timer = _timer_arg(state)
    reg = _arg(state, 2)
    if reg.type is not RegType.CONST_PTR_TO_MAP:
        raise _mismatch(reg, 2, "map_ptr")
    if reg.map is not timer.map:
        raise Reject("timer pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0",
                     errno=22)
    _anything_arg(env, state, 3, "flags")
    _clobber_and_return(state)


def _h_timer_start(env: Env, state: VState, insn: Call, idx: int, explorer: Explorer) -> None:
    """``bpf_timer_start(timer, nsecs, flags)``."""
    _timer_arg(state)
    _anything_arg(env, state, 2, "nsecs")
    _anything_arg(env, state, 3, "flags")
    _clobber_and_return(state)


def _h_timer_cancel(env: Env, state: VState, insn: Call, idx: int, explorer: Explorer) -> None:
    """``bpf_timer_cancel(timer)``."""
    _timer_arg(state)
    _clobber_and_return(state)


def _h_timer_set_callback(env: Env, state: VState, insn: Call, idx: int,
                          explorer: Explorer) -> None:
    """``bpf_timer_set_callback(timer, callback_fn)``: the callback is verified on its own,
    later, from a fresh state (``push_async_cb()``), as frame 0 of its own."""
    timer = _timer_arg(state)
    start = _func_arg(state, 2)
    push_async_callback(env, state, idx, start, timer.map, False, explorer)
    _clobber_and_return(state)


def push_async_callback(env: Env, state: VState, idx: int, start: int, m: object,
                        sleepable: bool, explorer: Explorer) -> None:
    """``push_async_cb()`` with ``set_timer_callback_state()``: a fresh state whose frame 0 is
    the callback at ``start``, R1-R3 the map, key and value of ``m``; ``sleepable`` is
    ``is_async_cb_sleepable()`` (false for a timer's, true for a bpf_wq's)."""
    env.callback_subprogs[start] = "async_cb"  # is_cb and is_async_cb
    branch = explorer.push_branch(state, start, idx)
    if branch.parent is not None:  # the async state does not continue the caller's path
        branch.parent.branches -= 1
    from kfunclab.verifier.regs import stack_pointer

    regs = [NOT_INIT] * 11
    regs[1] = Reg(RegType.CONST_PTR_TO_MAP, map=m)  # type: ignore[arg-type]
    regs[2] = Reg(RegType.PTR_TO_MAP_KEY, map=m)  # type: ignore[arg-type]
    # the value comes with an id of its own (the 6.18 kernel's log shows map_value(id=N))
    regs[3] = Reg(RegType.PTR_TO_MAP_VALUE, map=m, id=env.new_id())  # type: ignore[arg-type]
    regs[10] = stack_pointer(0, 0)
    branch.frames = [FuncState(regs, {}, 0, -1, cb="async_cb")]
    branch.refs = []
    branch.active_rcu_lock = branch.active_preempt_locks = 0
    branch.active_irq_id = branch.active_locks = 0
    branch.parent = None
    branch.history = []
    branch.jmp_history_cnt = 0
    branch.callback_unroll_depth = 0
    branch.async_sleepable = sleepable  # elem->st.in_sleepable


#: check_return_code() for an async callback: "At async callback return"
ASYNC_RET_RANGE = (0, 0)


def check_async_return(env: Env, state: VState, r0: Reg) -> None:
    """``check_return_code()`` at the exit of an async callback's frame 0."""
    from kfunclab.verifier.precision import mark_chain_precision

    if r0.type is not RegType.SCALAR:
        raise Reject("At async callback return the register R0 is not a known value "
                     f"({reg_type_str(r0.type, r0.flags)})", errno=22)
    mark_chain_precision(env, state, {0})
    lo, hi = ASYNC_RET_RANGE
    if r0.var.smin < lo or r0.var.smax > hi:
        raise Reject(f"At async callback return the register R0 has {invalid_scalar_text(r0)} "
                     f"should have been in [{lo}, {hi}]", errno=22)


_HANDLERS = {
    "bpf_timer_init": _h_timer_init,
    "bpf_timer_start": _h_timer_start,
    "bpf_timer_cancel": _h_timer_cancel,
    "bpf_timer_set_callback": _h_timer_set_callback,
    "bpf_loop": _h_loop,
    "bpf_for_each_map_elem": _h_for_each_map_elem,
    "bpf_user_ringbuf_drain": _h_user_ringbuf_drain,
    "bpf_find_vma": _h_find_vma,
}
MODELLED = frozenset(_HANDLERS)
_GPL_ONLY = frozenset({"bpf_timer_init", "bpf_timer_start", "bpf_timer_cancel",
                       "bpf_timer_set_callback"})
#: callback-calling helpers kfunclab does not model: their programs answer unsupported
UNMODELLED: frozenset[str] = frozenset()


def helper_name_of(insn: Call) -> str:
    from kfunclab.isa.helpers import helper_name

    return insn.name or helper_name(insn.imm) or ""


#: callback-calling kfuncs (a kfunc argument that is a callback): not modelled here; the
#: rbtree one is modelled in rules/rbtree_cb.py (set_rbtree_add_callback_state())
#: (bpf_wq_set_callback_impl: rules/wq.py)
UNMODELLED_KFUNCS = frozenset({"bpf_task_work_schedule_signal_impl",
                               "bpf_task_work_schedule_resume_impl"})


def check_callback_kfunc(state: VState, insn: Call, idx: int) -> None:
    """Unsupported for a kfunc that would call one of the program's functions back. (A const
    dynptr, a callback's or a global function's argument, is a kfunc's KF_ARG_PTR_TO_DYNPTR
    with MEM_RDONLY: rules/dynptrs.kfunc_dynptr_arg.)"""
    if insn.name in UNMODELLED_KFUNCS:
        raise Unsupported(f"a callback of kfunc {insn.name} is not modelled", idx)


def check_callback_helper(env: Env, state: VState, insn: Call, idx: int,
                          explorer: Explorer) -> bool:
    """``check_helper_call()`` for a callback-calling helper; False when ``insn`` is not one."""
    name = helper_name_of(insn)
    if name in UNMODELLED:
        raise Unsupported(f"kfunclab does not model helper {name}#{insn.imm} (its callback) yet",
                          idx)
    handler = _HANDLERS.get(name)
    if handler is None:
        return False
    allowed = env.profile.helper_allowed(name, env.prog_type.prog_type.kernel_name)
    if allowed is False:
        raise Reject(msg.HELPER_NOT_ALLOWED.format(name=name, imm=insn.imm))
    if name in _GPL_ONLY and not env.program_gpl:  # the bpf_timer_*_proto are gpl_only
        raise Reject(msg.HELPER_GPL_ONLY, errno=22)
    handler(env, state, insn, idx, explorer)
    return True


# --- the callback's exit -------------------------------------------------------------------
def exit_callback(env: Env, state: VState, explorer: Explorer) -> int:
    """``prepare_func_exit()`` of a sync callback: R0 in range, back to the call site."""
    from kfunclab.verifier.precision import mark_chain_precision

    callee = state.frames[-1]
    r0 = callee.regs[0]
    if r0.type is RegType.PTR_TO_STACK:
        raise Reject("cannot return stack pointer to the caller", errno=22)
    if r0.type is not RegType.SCALAR:
        raise Reject(msg.CALLBACK_R0_NOT_SCALAR)
    mark_chain_precision(env, state, {0})
    lo, hi = CALLBACK_RET_RANGE
    if r0.var.smin < lo or r0.var.smax > hi:
        raise Reject(msg.CALLBACK_RETURN_RANGE.format(value=invalid_scalar_text(r0),
                                                      range=f"[{lo}, {hi}]"), errno=22)
    state.frames.pop()
    callsite = callee.callsite
    prev = _find_prev_entry(explorer, state, callsite)
    if prev is not None:
        widen_imprecise_scalars(prev, state)
    return callsite


def invalid_scalar_text(reg: Reg) -> str:
    """``verbose_invalid_scalar()``'s middle: ``smin=N smax=M`` or ``unknown scalar value``."""
    parts = [f"smin={reg.var.smin}"] if reg.var.smin > -(1 << 63) else []
    parts += [f"smax={reg.var.smax}"] if reg.var.smax < (1 << 63) - 1 else []
    return " ".join(parts) or "unknown scalar value"


def _find_prev_entry(explorer: Explorer, cur: VState, idx: int) -> VState | None:
    """``find_prev_entry()``: the checkpoint at ``idx`` this path came through (same call
    sites, still being explored), most recent first."""
    # the explorer's checkpoint lists (is_state_visited()'s); a stand-in explorer has none
    entries_at = getattr(explorer, "entries_at", None)
    entries = entries_at(cur, idx) if entries_at is not None else ()
    if not entries:
        return None
    ancestors = set()
    st = cur.parent
    while st is not None:
        ancestors.add(id(st))
        st = st.parent
    for old in entries:
        if old.branches and id(old) in ancestors and same_callsites(old, cur):
            return old
    return None
