"""What a rule may ask of the explorer: push a second path, and read liveness.

Rules (:mod:`~kfunclab.verifier.step`, :mod:`~kfunclab.verifier.rules.kfuncs`, ...) sometimes
need the kernel's ``push_stack()``: a conditional jump whose outcome is unknown, a scalar forked
by ``maybe_fork_scalars``, an iterator's ``next`` that may also return NULL. They take a
:class:`Branches` instead of the :class:`~kfunclab.verifier.explore.Explorer`, so they import
nothing above them; the explorer is one (structurally: it has these members).

>>> class Recorder:  # a stand-in for tests: remembers what was pushed
...     live = None
...     def __init__(self): self.pushed = []
...     def push_branch(self, state, target, from_insn):
...         self.pushed.append((target, from_insn)); return state
>>> isinstance(Recorder(), Branches)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from kfunclab.verifier.liveness import Liveness
    from kfunclab.verifier.state import VState


@runtime_checkable
class Branches(Protocol):
    """The explorer as the rules see it."""

    #: static liveness of the program (which registers are read after an instruction)
    live: Liveness

    def push_branch(self, state: VState, target: int, from_insn: int) -> VState:
        """``push_stack()``: a copy of ``state`` to be explored from ``target`` later.

        ``from_insn`` is the instruction that forked (the branch's history starts after it;
        ``target == from_insn`` re-runs that instruction, as a forked scalar does). Returns the
        copy, which the rule may still narrow (the taken side of a jump).
        """
        ...
