"""``may_goto``: the bounded-loop instruction (``BPF_JMP | BPF_JCOND``, Linux 6.9+).

At run time ``may_goto +off`` falls through while a hidden per-frame loop counter lasts and
jumps once it runs out. ``check_cond_jmp_op()`` in Linux 6.18 explores the *jump* first with the
current state and pushes the fall-through (the next iteration) one ``may_goto_depth`` deeper;
``is_state_visited()`` then lets a loop through a ``may_goto`` converge: at the ``may_goto``
itself, a checkpoint still on the current path whose depth differs and whose state is within
(``RANGE_WITHIN``) ends the path, and the infinite-loop check only fires between states of equal
depth (both in :mod:`kfunclab.verifier.explore`).

The counter's stack slot (8 bytes below the frame's stack, ``stack_depth += 8``) is added by
``do_misc_fixups()`` after verification, so no verdict here sees it.

>>> from kfunclab.verifier import verify_text
>>> loop = '# SEC("socket")\\n r0 = 0\\nl:\\n may_goto out\\n goto l\\nout:\\n exit\\n'
>>> verify_text(loop, btf="bundled").verdict.value
'accept'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfunclab.isa.insn import MayGoto
from kfunclab.verifier.state import VState
from kfunclab.verifier.widen import find_prev_entry, widen_imprecise_scalars

if TYPE_CHECKING:
    from kfunclab.verifier.branching import Branches
    from kfunclab.verifier.env import Env


def check_may_goto(env: Env, state: VState, insn: MayGoto, idx: int, explorer: Branches) -> int:
    """``check_cond_jmp_op()``'s ``BPF_JCOND`` case: the next instruction of this path.

    The fall-through is pushed with ``may_goto_depth + 1`` and its imprecise scalars widened
    against the previous iteration's checkpoint here; this path continues at the jump target.
    """
    prev = find_prev_entry(state, idx)
    queued = explorer.push_branch(state, idx + 1, idx)
    queued.may_goto_depth += 1
    if prev is not None:
        widen_imprecise_scalars(prev, queued)
    return idx + 1 + insn.off
