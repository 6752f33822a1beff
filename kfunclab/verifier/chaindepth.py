"""``check_max_stack_depth()`` across global functions, once every one of them is verified.

The kernel verifies the main program, then each global function it calls on its own
(``do_check_subprogs()``), each exploration recording the deepest stack of the subprograms it
walked (``subprog_info[].stack_depth``). Only then does ``check_max_stack_depth()`` walk the
call graph from the main program, global calls included, in instruction order: entering a
subprogram adds its depth (rounded up to 16) and refuses a chain over ``MAX_BPF_STACK``
(``combined stack size of N calls is M. Too large``, EACCES); following a call adds a frame
and refuses the eighth (``the call stack of 8 frames is too deep !``, E2BIG). A chain of
static calls alone never gets there (``check_func_call()`` refused it during the walk), so
kfunclab asks this only for programs that call global functions.

>>> from kfunclab.isa.parser import parse_program
>>> p = parse_program('# SEC("socket")\\n\\tr0 = 0\\n\\texit\\n', "x.s")
>>> check_call_chains(p, {"main": 600}, {0: "main"}).message
'combined stack size of 1 calls is 608. Too large'
"""

from __future__ import annotations

import errno
from collections.abc import Mapping

from kfunclab.isa.insn import Call, CallKind
from kfunclab.isa.program import Program
from kfunclab.verifier import messages as msg
from kfunclab.verifier.result import Diagnostic
from kfunclab.verifier.stackdepth import MAX_CALL_FRAMES, round_up_stack_depth
from kfunclab.verifier.state import MAX_BPF_STACK
from kfunclab.verifier.tailcall import TAIL_CALL_STACK_LIMIT, has_tail_call


class _Refused(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def check_call_chains(program: Program, depths: Mapping[str, int],
                      names: Mapping[int, str] | None = None) -> Diagnostic | None:
    """The kernel's refusal of a call chain of ``program`` (stack or frames), or None.

    ``depths`` gives each subprogram's recorded stack depth by function name (the main
    program's and the global functions' own verifications together); ``names`` maps
    subprogram starts to those names (``program.func_names`` by default).
    """
    names = dict(program.func_names if names is None else names)
    names.setdefault(0, "")
    starts = sorted(names)
    insns = program.insns
    bounds = {s: (s, starts[i + 1] if i + 1 < len(starts) else len(insns))
              for i, s in enumerate(starts)}

    def walk(start: int, depth: int, frame: int) -> None:
        if start and depth >= TAIL_CALL_STACK_LIMIT and has_tail_call(insns, *bounds[start]):
            raise _Refused(Diagnostic(None, msg.TAIL_CALL_STACK_TOO_LARGE.format(depth=depth),
                                      errno=errno.EACCES))
        depth += round_up_stack_depth(depths.get(names[start], 0))
        if depth > MAX_BPF_STACK:
            raise _Refused(Diagnostic(None, msg.COMBINED_STACK_TOO_LARGE.format(
                frames=frame + 1, depth=depth), errno=errno.EACCES))
        lo, hi = bounds[start]
        for i in range(lo, hi):
            ins = insns[i]
            if type(ins) is Call and ins.kind is CallKind.SUBPROG:
                if frame + 1 >= MAX_CALL_FRAMES:
                    raise _Refused(Diagnostic(i, msg.CALL_STACK_TOO_DEEP.format(
                        frames=frame + 1), errno=errno.E2BIG))
                target = i + ins.imm + 1
                if target in bounds:
                    walk(target, depth, frame + 1)

    try:
        walk(0, 0, 0)
    except _Refused as refused:
        return refused.diagnostic
    return None
