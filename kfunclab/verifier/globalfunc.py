"""Global subprograms: the kernel verifies them on their own, against their BTF prototype.

A call to a global function does not enter it: ``btf_check_subprog_call()`` checks the caller's
R1-R5 against the argument kinds ``btf_prepare_func_args()`` derived from the prototype, then
the call returns an unknown scalar in R0. The function itself is verified separately with its
arguments typed from the same kinds (:func:`entry_regs`).

Argument kinds (strings, kept on :attr:`Program.global_funcs` / :attr:`Program.entry_args`):
``scalar``, ``ctx``, ``mem:N`` (N readable and writable bytes, non-NULL), ``mem?:N`` (the
same or NULL) and ``dynptr`` (``ARG_PTR_TO_DYNPTR | MEM_RDONLY``: the callee sees a
CONST_PTR_TO_DYNPTR to a local dynptr).

>>> entry_regs(("scalar", "mem?:8"), lambda: 1)[2].mem_size
8
"""

from __future__ import annotations

from collections.abc import Callable

from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.mightsleep import might_sleep
from kfunclab.verifier.regs import NOT_INIT, UNKNOWN_SCALAR, Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.state import VState
from kfunclab.verifier.trust import in_sleepable


def parse_kind(kind: str) -> tuple[str, int, bool]:
    """``"mem?:16"`` -> ``("mem", 16, True)``; ``"scalar"`` -> ``("scalar", 0, False)``."""
    base, _, size = kind.partition(":")
    return base.rstrip("?"), int(size) if size.isdigit() else 0, base.endswith("?")


#: check_reg_type()'s btf_ptr_types for an ARG_PTR_TO_BTF_ID argument
_BTF_PTR_FLAGS = (0, int(TypeFlag.TRUSTED), int(TypeFlag.RCU))
_BTF_PTR_EXPECTED = "ptr_, trusted_ptr_, rcu_ptr_"


def entry_regs(kinds: tuple[str, ...], new_id: Callable[[], int],
               struct_id: Callable[[str], int] | None = None) -> list[Reg]:
    """R0-R10 at the start of a global function's own verification (R10 set by the caller).

    ``struct_id`` gives a kernel struct's BTF id by name (for ``__arg_trusted`` arguments).
    """
    regs = [NOT_INIT] * 11
    for i, kind in enumerate(kinds):
        base, size, nullable = parse_kind(kind)
        if base == "scalar":
            regs[i + 1] = UNKNOWN_SCALAR
        elif base == "ctx":
            regs[i + 1] = Reg(RegType.PTR_TO_CTX)
        elif base == "dynptr":  # __mark_dynptr_reg(reg, BPF_DYNPTR_TYPE_LOCAL, true, ++id_gen)
            regs[i + 1] = Reg(RegType.CONST_PTR_TO_DYNPTR, id=new_id(), extra=("local", 0))
        elif base == "trusted":  # a trusted pointer, not a reference: it cannot be released
            name = kind.partition(":")[2]
            flags = TypeFlag.TRUSTED | (TypeFlag.MAYBE_NULL if nullable else 0)
            regs[i + 1] = Reg(RegType.PTR_TO_BTF_ID, flags=int(flags),
                              btf_id=struct_id(name) if struct_id else 0, btf_name=name,
                              id=new_id() if nullable else 0)
        else:
            flags = TypeFlag.MAYBE_NULL if nullable else 0
            regs[i + 1] = Reg(RegType.PTR_TO_MEM, flags=int(flags), mem_size=size,
                              id=new_id() if nullable else 0)
    return regs


def check_global_call(env: Env, state: VState, idx: int, target: int) -> None:
    """``check_func_call()`` for a global function: arguments checked, R0 an unknown scalar."""
    from kfunclab.verifier.helper_protos import check_arg_mem
    from kfunclab.verifier.rules.helper_args import clobber_caller_saved

    name, kinds = env.program.global_funcs[target]  # type: ignore[attr-defined]
    # 6.18 calls a global function that cannot sleep (subprog_info[].might_sleep clear)
    # with RCU, preemption or IRQs off, or from a state that cannot sleep (a timer callback's:
    # in_sleepable()); kfunclab models no global call with a lock held
    critical = (state.active_rcu_lock or state.active_preempt_locks or state.active_irq_id
                or (env.sleepable and not in_sleepable(env, state)))
    if state.active_locks or (critical and might_sleep(
            env.program, target, lambda k: env.registry.lookup(k, env.prog_context))):
        raise Unsupported(f"a call of global function '{name}' inside a lock, RCU, "
                          "preempt-disabled or IRQ-disabled region, or from a timer callback, "
                          "is not modelled", idx)
    starts = sorted(env.program.func_names)  # type: ignore[attr-defined]
    number = starts.index(target) if target in starts else 0
    # a global verified on its own numbers functions as its main program does
    number = env.program.func_numbers.get(name, number)  # type: ignore[attr-defined]
    invalid = f"Caller passes invalid args into func#{number} ('{name}')"
    bad = next((k for k in kinds if k.startswith("bad:")), None)
    if bad is not None:  # btf_prepare_func_args() refused the prototype
        raise Reject(invalid, (bad.removeprefix("bad:"),), errno=22)
    for i, kind in enumerate(kinds):
        regno = i + 1
        reg = state.regs[regno]
        base, size, nullable = parse_kind(kind)
        if base == "scalar":
            if reg.type is not RegType.SCALAR:
                raise Reject(invalid, (f"R{regno} is not a scalar",), errno=22)
        elif base == "ctx":
            if reg.type is not RegType.PTR_TO_CTX or reg.off or not reg.var.is_const \
                    or reg.var.const_value:
                raise Reject(invalid, (f"arg#{i} expects pointer to ctx",), errno=22)
        elif base == "dynptr":
            _dynptr_arg(env, state, regno, invalid)
        elif base == "trusted":
            _trusted_arg(env, reg, regno, kind.partition(":")[2], nullable, invalid, idx)
        else:
            if reg.type is RegType.SCALAR and reg.var.is_const and reg.var.const_value == 0:
                continue  # check_mem_reg(): NULL passes
            if reg.type is RegType.SCALAR or reg.type is RegType.NOT_INIT:
                raise Unsupported(f"argument R{regno} of global function '{name}' is "
                                  f"{'a scalar' if reg.type is RegType.SCALAR else 'unset'}; "
                                  "the kernel's exact answer is not modelled", idx)
            try:
                check_arg_mem(env, state, regno, size)
            except Reject as bad:  # check_mem_reg() says why, then check_func_call() refuses
                raise Reject(invalid, (*bad.context, bad.message), errno=22) from None
            if not nullable and reg.flags & TypeFlag.MAYBE_NULL:
                raise Reject(invalid, (f"arg#{i} is expected to be non-NULL",), errno=22)
    log = getattr(env, "log", None)
    if log is not None:
        log.line(f"Func#{number} ('{name}') is global and assumed valid.")
    clobber_caller_saved(state)
    state.regs[0] = UNKNOWN_SCALAR
    if target in getattr(env.program, "pkt_changing_funcs", ()):  # subprog changes_pkt_data
        from kfunclab.verifier.helper_protos import clear_packet_pointers

        clear_packet_pointers(state)


def _dynptr_arg(env: Env, state: VState, regno: int, invalid: str) -> None:
    """btf_check_func_arg_match(): check_func_arg_reg_off() then process_dynptr_func()."""
    from kfunclab.verifier.rules.dynptrs import process_dynptr_func

    reg = state.regs[regno]
    try:
        if reg.type not in (RegType.PTR_TO_STACK, RegType.SCALAR, RegType.NOT_INIT) and reg.off:
            what = reg_type_str(reg.type, reg.flags)
            if reg.off < 0:
                raise Reject(f"negative offset {what} ptr R{regno} off={reg.off} disallowed")
            raise Reject(f"dereference of modified {what} ptr R{regno} off={reg.off} disallowed")
        process_dynptr_func(env, state, regno, dtype=None, uninit=False, rdonly=True,
                            origin="")
    except Reject as inner:
        raise Reject(invalid, (*inner.context, inner.message), errno=inner.errno) from None
def _trusted_arg(env: Env, reg: Reg, regno: int, name: str, nullable: bool, invalid: str,
                 idx: int) -> None:
    """``btf_check_func_arg_match()`` for ARG_PTR_TO_BTF_ID | PTR_TRUSTED: NULL where it may
    be NULL, else a BTF pointer of the kinds check_reg_type() takes, of the struct (or one
    starting with it) at a constant offset."""
    from kfunclab.verifier.regs import reg_type_str

    if nullable and reg.type is RegType.SCALAR and reg.var.is_const \
            and reg.var.const_value == 0:
        return
    flags = int(reg.flags) & ~int(TypeFlag.MAYBE_NULL) if nullable else int(reg.flags)
    if reg.type is not RegType.PTR_TO_BTF_ID or flags not in _BTF_PTR_FLAGS:
        raise Reject(invalid, (f"R{regno} type={reg_type_str(reg.type, reg.flags)} "
                               f"expected={_BTF_PTR_EXPECTED}",), errno=22)
    if not reg.var.is_const or reg.var.const_value:
        raise Unsupported(f"R{regno}: a BTF pointer with a variable offset passed to a global "
                          "function is not modelled", idx)
    btf = env.btf
    want = btf.find(name, "STRUCT") if btf is not None else ()
    if not want or not reg.btf_id:
        raise Unsupported(f"R{regno}: struct {name} of an __arg_trusted argument is not in the "
                          "kernel BTF in use", idx)
    if not btf.struct_ids_match(reg.btf_id, reg.off, want[0]):  # type: ignore[union-attr]
        raise Reject(invalid, (f"R{regno} is of type {reg.btf_name} but {name} is expected",),
                     errno=13)
