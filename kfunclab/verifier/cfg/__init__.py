"""The control-flow graph of a BPF program and the kernel's static checks before exploration.

Two things live here, both built from the same per-slot successor lists:

* :func:`build_cfg` gives a :class:`Cfg`: subprograms (as the kernel's ``add_subprog``/
  ``check_subprogs`` find them), basic blocks, the kernel's prune points, jump points and forced
  checkpoints (``visit_insn``/``push_insn`` in Linux 6.18), and -- built lazily, with networkx --
  the instruction graph, the block graph, dominators, natural loops and drawing layers.
* :func:`check_cfg` repeats what ``bpf_check()`` rejects before it explores a single path, in the
  kernel's order and with its words (:mod:`kfunclab.verifier.messages`): ``bpf_prog_load``'s size
  limits, ``add_subprog_and_kfunc``, ``check_subprogs``, ``check_abnormal_return``,
  ``resolve_pseudo_ldimm64`` and ``check_cfg``'s depth-first search.

The package's modules follow that split: :mod:`.flow` (the per-slot successor lists both
use), :mod:`.graph` and :mod:`.checks`; import from here.

Indices are slot indices (an ld_imm64 takes two). Nodes of the graphs are the slots of real
instructions; the tail slot of an ld_imm64 is never a node.

>>> from kfunclab.isa.insn import Alu, AluOp, Exit, Jump, JmpOp
>>> prog = Program((Alu(AluOp.MOV, 0, None, 0), Jump(JmpOp.JEQ, 0, None, 0, 1),
...                 Alu(AluOp.MOV, 0, None, 1), Exit()), section="xdp")
>>> cfg = build_cfg(prog)
>>> [(b.start, b.end) for b in cfg.blocks], sorted(cfg.prune_points)
([(0, 1), (2, 2), (3, 3)], [1, 3])
>>> check_cfg(prog) is None
True
"""

from kfunclab.isa.program import Program  # noqa: F401 - the examples above build one
from kfunclab.verifier.cfg.checks import (
    BPF_COMPLEXITY_LIMIT_INSNS,
    BPF_MAX_SUBPROGS,
    BPF_MAXINSNS,
    KfuncCheck,
    StaticError,
    check_cfg,
    is_bpf_capable,
    license_is_gpl_compatible,
)
from kfunclab.verifier.cfg.graph import BasicBlock, Cfg, EdgeKind, Loop, Subprog, build_cfg

__all__ = [
    "BPF_COMPLEXITY_LIMIT_INSNS", "BPF_MAXINSNS", "BPF_MAX_SUBPROGS", "BasicBlock", "Cfg",
    "EdgeKind", "KfuncCheck", "Loop", "StaticError", "Subprog", "build_cfg", "check_cfg",
    "is_bpf_capable", "license_is_gpl_compatible",
]
