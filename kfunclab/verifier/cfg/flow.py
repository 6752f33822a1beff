"""The kernel's two edges per instruction slot, which the graph and the static checks share.

``visit_insn()`` in Linux 6.18 sorts every slot into what it does with control (plain, exit,
goto, conditional jump, call, subprogram call) and follows at most two edges from it: the
fall-through and the branch. :func:`build_flow` computes both for every slot, once.

>>> from kfunclab.isa.insn import Alu, AluOp, Exit, Jump, JmpOp
>>> flow = build_flow((Alu(AluOp.MOV, 0, None, 0), Jump(JmpOp.JEQ, 0, None, 0, 1), Exit()))
>>> flow.op[1] == OP_COND, flow.ft[1], flow.br[1]
(True, 2, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

from kfunclab.isa.helpers import helper_name
from kfunclab.isa.insn import (
    Call,
    CallKind,
    Exit,
    Goto,
    Imm64Kind,
    Insn,
    Jump,
    LoadImm64,
    MayGoto,
)

# What visit_insn() does with a slot. Plain ints: the DFS of the checks runs once per slot.
OP_PLAIN, OP_EXIT, OP_GOTO, OP_COND, OP_CALL, OP_SUBCALL = range(6)


@dataclass(frozen=True, slots=True)
class Flow:
    """The kernel's two edges per slot: FALLTHROUGH (next slot, or a goto's target) and BRANCH
    (a conditional jump's target, or the callee of a call / ld_imm64 of a function)."""

    op: list[int]
    ft: list[int | None]
    br: list[int | None]


def build_flow(insns: tuple[Insn, ...]) -> Flow:
    """The op, fall-through and branch target of every slot of ``insns``."""
    n = len(insns)
    op, ft, br = [OP_PLAIN] * n, [None] * n, [None] * n
    for t, ins in enumerate(insns):
        cls = type(ins)
        if cls is Jump or cls is MayGoto:  # may_goto: a conditional jump with two edges
            op[t], ft[t], br[t] = OP_COND, t + 1, t + ins.off + 1
        elif cls is Goto:
            op[t], ft[t] = OP_GOTO, t + ins.off + 1
        elif cls is Exit:
            op[t] = OP_EXIT
        elif cls is Call:
            ft[t] = t + 1
            if ins.kind is CallKind.SUBPROG:
                op[t], br[t] = OP_SUBCALL, t + ins.imm + 1
            else:
                op[t] = OP_CALL
        elif cls is LoadImm64:
            ft[t] = t + 2
            if ins.kind is Imm64Kind.FUNC:  # BPF_PSEUDO_FUNC: visited like a call
                op[t], br[t] = OP_SUBCALL, t + ins.imm + 1
        else:
            ft[t] = t + 1
    return Flow(op, ft, br)


def helper_in(ins: Call, names: frozenset[str]) -> bool:
    """Whether ``ins`` calls a helper named in ``names`` (``call 181`` matches by id)."""
    return ins.kind is CallKind.HELPER and (ins.name in names or helper_name(ins.imm) in names)
