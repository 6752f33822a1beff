"""May a global function sleep? ``subprog_info[].might_sleep`` as check_cfg() computes it.

6.18's ``check_cfg()`` marks a subprogram that calls a helper whose prototype might sleep or a
``KF_SLEEPABLE`` kfunc, and merges each callee's mark into its callers
(``merge_callee_effects()``). ``check_func_call()`` then lets a program call a global function
with RCU, preemption or IRQs off only when it cannot sleep. kfunclab answers the same question
from the program's instructions; a callback taken by address, a kfunc it does not know or a
helper without data count as sleeping (the answer can only be "may sleep" by mistake, which
leaves the call unsupported, never accepted).

>>> from kfunclab.isa.parser import parse_program
>>> p = parse_program('# SEC("tc")\\n\\tr0 = 0\\n\\texit\\n', "x.s")
>>> might_sleep(p, 0, lambda name: None)
False
"""

from __future__ import annotations

from collections.abc import Callable

from kfunclab.isa.insn import Call, CallKind, Imm64Kind, LoadImm64
from kfunclab.isa.program import Program
from kfunclab.kfuncs.flags import KF


def might_sleep(program: Program, start: int, kfunc: Callable[[str], object | None]) -> bool:
    """Whether the subprogram at ``start`` (or one it calls) may sleep; ``kfunc(name)`` gives
    the registry's record of a kfunc (with ``flags``), or None."""
    from kfunclab.verifier.helper_specs import helper_spec

    starts = sorted({0, *program.func_names})
    ends = {s: (starts[i + 1] if i + 1 < len(starts) else len(program.insns))
            for i, s in enumerate(starts)}
    seen: set[int] = set()
    todo = [start]
    while todo:
        lo = todo.pop()
        if lo in seen or lo not in ends:
            continue
        seen.add(lo)
        for i in range(lo, ends[lo]):
            ins = program.insns[i]
            if isinstance(ins, LoadImm64) and ins.kind is Imm64Kind.FUNC:
                return True
            if not isinstance(ins, Call):
                continue
            if ins.kind is CallKind.SUBPROG:
                todo.append(i + 1 + ins.imm)
            elif ins.kind is CallKind.KFUNC:
                k = kfunc(ins.name) if ins.name else None
                if k is None or getattr(k, "flags", 0) & KF.SLEEPABLE:
                    return True
            else:
                spec = helper_spec(ins.name or "")
                if spec is None or any(p.might_sleep for p in spec.protos):
                    return True
    return False
