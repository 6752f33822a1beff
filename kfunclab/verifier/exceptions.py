"""BPF exceptions: ``bpf_throw(cookie)`` as Linux 6.18 verifies it (kernel/bpf/verifier.c).

``bpf_throw`` is a kfunc that never returns: after its arguments are checked, the path ends
with an *exception exit* (``process_bpf_exit_full(exception_exit=true)``). Nothing may be held
then, in any frame: ``check_resource_leak()`` with the prefix ``bpf_throw`` refuses a held
bpf_spin_lock, an unreleased reference ("bpf_throw would lead to reference leak"), a saved IRQ
state, an RCU read section or a preempt-disabled region. Without an exception callback the
cookie becomes the program's return value, so R1 must be in the program type's return range
(``check_return_code(env, BPF_REG_1, "R1")``).

After exploration, ``check_max_stack_depth_subprog()`` refuses a ``bpf_throw`` in a callback
or in any function a callback calls: "bpf_throw kfunc (insn N) cannot be called from
callback subprog M".

An exception callback (``__exception_cb(fn)`` on the main function: a global function of one
integer argument) replaces the default one, so ``bpf_throw``'s cookie is then not checked. The
kernel marks it a callback (``mark_subprog_exc_cb()``: is_cb, is_async_cb, is_exception_cb),
verifies it after the main program as a global function that is always called, with R0
checked against the program's return range at its exit, and refuses any direct call of it
("insn N cannot call exception cb directly") or a ``bpf_throw`` in what it runs.

>>> THROW_KFUNC
'bpf_throw'
"""

from __future__ import annotations

import errno

from kfunclab.isa.insn import Call, CallKind, Imm64Kind, LoadImm64
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject
from kfunclab.verifier.regs import Reg, RegType, reg_type_str
from kfunclab.verifier.resource_leak import check_resource_leak
from kfunclab.verifier.result import Diagnostic
from kfunclab.verifier.state import VState

THROW_KFUNC = "bpf_throw"


def throw_exit(env: Env, state: VState, idx: int, cookie: Reg) -> bool:
    """The exception exit at ``bpf_throw`` (``cookie`` is R1 before the call); True."""
    from kfunclab.verifier.calls import check_return_range

    if not getattr(env.program, "exception_callback", None):
        # check_kfunc_call(): the default callback returns the cookie
        if cookie.type is RegType.NOT_INIT:
            raise Reject(msg.REG_NOT_READ_OK.format(regno=1))
        if cookie.is_pointer and not env.allow_ptr_leaks:
            raise Reject("R1 leaks addr as return value")
        if env.program.entry_args is None:
            check_return_range(env, cookie, "R1")
        elif cookie.type is not RegType.SCALAR:
            raise Reject("At subprogram exit the register R1 is not a scalar value "
                         f"({reg_type_str(cookie.type, cookie.flags)})", errno=22)
    # check_reference_leak(exception_exit=true): every frame's references
    check_resource_leak(env, state, idx, msg.EXIT_PREFIX_THROW)
    return True


def _exception_cb_start(env: Env) -> int | None:
    """The exception callback's first slot in the main program, if it has one."""
    exc = getattr(env.program, "exception_callback", None)
    if not exc or env.program.entry_args is not None:
        return None
    return next((slot for slot, name in env.program.func_names.items() if name == exc and slot),
                None)


def check_throw_in_callbacks(env: Env) -> Diagnostic | None:
    """``check_max_stack_depth_subprog()``'s bpf_throw and exception-callback rules, over the
    call graph from each root: the exception callback (an async callback, walked before main:
    the kernel goes from the last subprogram down), then main."""
    exc = _exception_cb_start(env)
    if not env.callback_subprogs and exc is None:
        return None
    insns = env.program.insns
    subprogs = {s.start: s for s in env.cfg.subprogs}
    numbers = {start: n for n, start in enumerate(sorted(subprogs))}
    seen: set[tuple[int, bool]] = set()

    def walk(start: int, in_cb: bool) -> Diagnostic | None:
        in_cb = in_cb or start in env.callback_subprogs or start == exc  # is_cb
        if (start, in_cb) in seen or start not in subprogs:
            return None
        seen.add((start, in_cb))
        sub = subprogs[start]
        for i in range(sub.start, sub.end):
            ins = insns[i]
            if type(ins) is Call and ins.kind is CallKind.KFUNC and ins.name == THROW_KFUNC:
                if in_cb:
                    return Diagnostic(i, msg.THROW_IN_CALLBACK.format(insn=i,
                                                                       subprog=numbers[start]),
                                      errno=errno.EINVAL)
            elif (type(ins) is Call and ins.kind is CallKind.SUBPROG) or (
                    type(ins) is LoadImm64 and ins.kind is Imm64Kind.FUNC):
                if type(ins) is Call and i + ins.imm + 1 == exc:
                    return Diagnostic(i, msg.EXC_CB_CALLED_DIRECTLY.format(insn=i),
                                      errno=errno.EINVAL)
                found = walk(i + ins.imm + 1, in_cb)
                if found is not None:
                    return found
        return None

    return (walk(exc, True) if exc is not None else None) or walk(0, False)
