"""Calls and exits: BPF-to-BPF calls and ``exit``; helper calls are in
:mod:`kfunclab.verifier.rules.helpers` (re-exported here), kfunc calls in
:mod:`kfunclab.verifier.rules.kfuncs`.

:func:`kfunclab.verifier.step.check_call` picks the kind of call; this module holds the frame
push and pop of BPF-to-BPF calls and the leak and return-range checks at ``exit``
(``check_resource_leak``). The pointer predicates calls use (``in_rcu_cs``, ``is_trusted_reg``,
``kernel_struct_reg``) live in :mod:`kfunclab.verifier.trust`.
"""

from __future__ import annotations

from kfunclab.progtypes import AttachType, ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject
from kfunclab.verifier.regs import NOT_INIT, Reg, RegType, reg_type_str
from kfunclab.verifier.resource_leak import check_resource_leak

# helper calls moved to rules/helpers.py: re-exported for code written before the move
from kfunclab.verifier.rules.helpers import (  # noqa: F401
    check_helper_call,
    model_helper_allowed,
    modelled_helpers,
)
from kfunclab.verifier.state import VState
from kfunclab.verifier.struct_ops import void_exit
from kfunclab.verifier.trampoline import (
    lsm_cgroup_void_note,
    lsm_void_exit,
    trampoline_return_range,
)

# in_rcu_cs and is_trusted_reg moved to trust.py: re-exported for rules written before the move
from kfunclab.verifier.trust import in_rcu_cs, is_trusted_reg, kernel_struct_reg  # noqa: F401

# --- BPF-to-BPF calls ---------------------------------------------------------------------------
MAX_CALL_FRAMES = 8


def enter_subprog(env: Env, state: VState, idx: int, target: int) -> int:
    """``check_func_call()`` for a static subprogram: a new frame gets R1-R5 and its own stack."""
    from kfunclab.verifier.regs import stack_pointer
    from kfunclab.verifier.state import FuncState

    if len(state.frames) >= MAX_CALL_FRAMES:
        raise Reject(f"the call stack of {len(state.frames) + 1} frames is too deep", errno=7)
    caller = state.cur
    regs = [NOT_INIT] * 11
    for r in range(1, 6):
        regs[r] = caller.regs[r]
    regs[10] = stack_pointer(0, len(state.frames))
    state.frames.append(FuncState(regs, {}, len(state.frames), idx))
    for r in range(6):
        caller.regs[r] = NOT_INIT
    return target


def exit_subprog(env: Env, state: VState) -> int:
    """``prepare_func_exit()``: R0 goes back to the caller, which resumes after the call."""
    callee = state.frames[-1]
    r0 = callee.regs[0]
    call = env.program.insns[callee.callsite]
    start = callee.callsite + 1 + getattr(call, "imm", 0)
    # prepare_func_exit() hands R0 back as it is, unset too: only a reader of it in the
    # caller is refused (the live 6.18 kernel takes an unset R0 from an int subprogram)
    del start
    if r0.type is RegType.PTR_TO_STACK and r0.frameno == callee.frameno:
        raise Reject("cannot return stack pointer to the caller")
    state.frames.pop()
    state.cur.regs[0] = r0
    return callee.callsite + 1


# --- exit --------------------------------------------------------------------------------------
def is_exception_cb(program: object) -> bool:
    """The program is the exception callback, verified on its own (``in_exception_callback_fn``)."""
    exc = getattr(program, "exception_callback", None)
    return bool(exc) and getattr(program, "entry_args", None) is not None \
        and getattr(program, "name", None) == exc


def check_exit(env: Env, state: VState, idx: int) -> None:
    """``process_bpf_exit_full()``: locks, leaks and R0 at the main program's exit."""
    check_resource_leak(env, state, idx, msg.EXIT_PREFIX_MAIN)
    main_like = env.program.entry_args is None or is_exception_cb(env.program)
    if not state.frames[0].cb and (void_exit(env) or (main_like and lsm_void_exit(env))):
        return  # a void struct_ops member or LSM hook: R0 is not read (not for a global)
    r0 = state.regs[0]
    if r0.type is RegType.NOT_INIT:
        raise Reject(msg.R0_NOT_READ_OK)
    if state.frames[0].cb == "async_cb":  # a timer callback, verified as its own frame 0
        from kfunclab.verifier.callbacks import check_async_return

        check_async_return(env, state, r0)
        return
    # a global function returns a scalar, any value; the exception callback returns what the
    # program would (check_return_code(): in_exception_callback_fn)
    if env.program.entry_args is not None and not is_exception_cb(env.program):
        if r0.type is not RegType.SCALAR:
            raise Reject("At subprogram exit the register R0 is not a scalar value "
                         f"({reg_type_str(r0.type, r0.flags)})")
        return
    if r0.is_pointer and not env.allow_ptr_leaks:
        raise Reject(msg.R0_LEAKS_ADDR)
    check_return_range(env, r0, state=state)


_SOCK_ADDR_RANGES = {
    AttachType.CGROUP_INET4_BIND: (0, 3), AttachType.CGROUP_INET6_BIND: (0, 3),
    **{a: (1, 1) for a in (AttachType.CGROUP_UDP4_RECVMSG, AttachType.CGROUP_UDP6_RECVMSG,
                           AttachType.CGROUP_UNIX_RECVMSG, AttachType.CGROUP_INET4_GETPEERNAME,
                           AttachType.CGROUP_INET6_GETPEERNAME,
                           AttachType.CGROUP_UNIX_GETPEERNAME,
                           AttachType.CGROUP_INET4_GETSOCKNAME,
                           AttachType.CGROUP_INET6_GETSOCKNAME,
                           AttachType.CGROUP_UNIX_GETSOCKNAME)}}


def check_return_range(env: Env, r0: Reg, name: str = "R0", state: VState | None = None
                       ) -> None:
    """``check_return_code()`` for the program types with a fixed return range: the value of
    register ``name`` (R0 at exit; R1, the cookie, at a ``bpf_throw`` without a callback).
    With ``state`` (the exit), R0 is first marked precise (``enforce_retval:``)."""
    pt = env.prog_type.prog_type
    at = env.prog_type.expected_attach_type
    ranges = {ProgType.CGROUP_SKB: (0, 3) if at is AttachType.CGROUP_INET_EGRESS else (0, 1),
              ProgType.CGROUP_SOCK: (0, 1), ProgType.SOCK_OPS: (0, 1),
              ProgType.CGROUP_DEVICE: (0, 1), ProgType.CGROUP_SYSCTL: (0, 1),
              ProgType.CGROUP_SOCKOPT: (0, 1), ProgType.NETFILTER: (0, 1),  # NF_DROP, NF_ACCEPT
              ProgType.CGROUP_SOCK_ADDR: _SOCK_ADDR_RANGES.get(at, (0, 1))}
    if pt is ProgType.TRACING and at is AttachType.TRACE_ITER:
        ranges[pt] = (0, 1)  # BPF_TRACE_ITER keeps the default retval_range(0, 1)
    trampoline = trampoline_return_range(env)
    if pt not in ranges and trampoline is None:
        return
    if r0.type is not RegType.SCALAR:
        raise Reject(f"At program exit the register {name} is not a known value "
                     f"({reg_type_str(r0.type, r0.flags)})", errno=22)
    if state is not None:
        from kfunclab.verifier.precision import mark_chain_precision

        mark_chain_precision(env, state, {0})
    lo, hi, low32 = trampoline or (*ranges[pt], False)
    # retval_range_within(): an LSM hook's int is compared on the low 32 bits
    smin, smax = (r0.var.s32_min, r0.var.s32_max) if low32 else (r0.var.smin, r0.var.smax)
    if smin < lo or smax > hi:
        # verbose_invalid_scalar(): " smin=%lld" / " smax=%lld" where not the s64 extreme
        parts = [f"smin={r0.var.smin}"] if r0.var.smin > -(1 << 63) else []
        parts += [f"smax={r0.var.smax}"] if r0.var.smax < (1 << 63) - 1 else []
        value = " ".join(parts) or "unknown scalar value"
        line = msg.AT_EXIT_RETURN_RANGE_OF.format(reg=name, value=value, range=f"[{lo}, {hi}]")
        if lsm_cgroup_void_note(env):  # printed after the range error: the log's last line
            raise Reject(msg.LSM_CGROUP_VOID_NOTE, (line,), errno=22)
        raise Reject(line, errno=22)
