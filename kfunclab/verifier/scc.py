"""Loop visits: the kernel's ``bpf_scc_visit`` bookkeeping (6.18 ``kernel/bpf/verifier.c``).

A loop (a strongly connected component of the CFG) is *visited* from the first checkpoint
stored inside it until every path from that checkpoint has been explored. While a visit is
open, the precision marks of its checkpoints are incomplete: a path that comes back to an
equivalent state (an iterator's ``next`` converging, or any prune point of the loop while the
visit already has back-edges) is pruned with ``RANGE_WITHIN`` and leaves a *back-edge*, a copy
of itself. When the visit ends, ``propagate_backedges()`` carries the precision of each
back-edge's equal state along the back-edge's path, again and again until nothing changes, so
later paths are not pruned against checkpoints that missed a mark.

A visit is keyed by its *call chain* (``compute_scc_callchain()``): the call sites of the
frames up to the first one standing in a loop, and that loop's number. The same loop in a
subprogram called from two places is two visits.

>>> visits = SccVisits({3: 1, 4: 1})
>>> visits.enabled
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kfunclab.verifier.state import VState

#: ``MAX_BACKEDGE_ITERS``: propagation rounds before every back-edge's scalars go precise
MAX_BACKEDGE_ITERS = 64

CallChain = tuple[tuple[int, ...], int]


@dataclass(eq=False)
class _Visit:
    """``struct bpf_scc_visit``: the entry checkpoint (None between visits) and back-edges."""

    entry: VState | None = None
    #: (copy of the state that looped, the checkpoint it was found equal to)
    backedges: list[tuple[VState, VState]] = field(default_factory=list)


class SccVisits:
    """The open loop visits of one exploration, and their back-edges."""

    def __init__(self, loops: dict[int, int]) -> None:
        self.loops = loops  # insn -> loop number (insns outside loops absent)
        self.visits: dict[CallChain, _Visit] = {}
        self.num_backedges = 0

    @property
    def enabled(self) -> bool:
        return bool(self.loops)

    def callchain(self, st: VState) -> CallChain | None:
        """``compute_scc_callchain()``: None when no frame of ``st`` stands in a loop."""
        sites: list[int] = []
        last = len(st.frames) - 1
        for i in range(last + 1):
            pos = st.frames[i + 1].callsite if i < last else st.insn_idx
            scc = self.loops.get(pos)
            if scc:
                return tuple(sites), scc
            if i == last:
                return None
            sites.append(pos)
        return None

    def enter(self, new: VState) -> CallChain | None:
        """``maybe_enter_scc()``: a new checkpoint opens its loop's visit if none is open;
        returns the call chain when it did (the log prints ``SCC enter``)."""
        key = self.callchain(new)
        if key is None:
            return None
        visit = self.visits.setdefault(key, _Visit())
        if visit.entry is None:
            visit.entry = new
            return key
        return None

    def incomplete(self, old: VState) -> bool:
        """``incomplete_read_marks()``: ``old``'s loop visit has back-edges still to
        propagate, so a match against it must be RANGE_WITHIN and leaves a back-edge."""
        if not self.visits:
            return False
        key = self.callchain(old)
        visit = self.visits.get(key) if key is not None else None
        return visit is not None and bool(visit.backedges)

    def add_backedge(self, old: VState, cur: VState) -> CallChain | None:
        """``add_scc_backedge()``: keep a copy of ``cur`` (found equal to ``old``)."""
        key = self.callchain(old)
        visit = self.visits.get(key) if key is not None else None
        self.num_backedges += 1
        if visit is None:  # the kernel calls this a bug; kept to the end here
            return None
        visit.backedges.append((cur.copy(), old))
        return key

    def exit(self, st: VState, propagate: Callable[[VState, VState], bool]) -> CallChain | None:
        """``maybe_exit_scc()``: ``st`` (no branches left) closes its visit if it opened it;
        ``propagate(equal_state, backedge)`` runs to a fixed point (True: marks changed)."""
        if not self.visits:
            return None
        key = self.callchain(st)
        visit = self.visits.get(key) if key is not None else None
        if visit is None or visit.entry is not st:
            return None
        visit.entry = None
        self.num_backedges -= len(visit.backedges)
        backedges, visit.backedges = visit.backedges, []
        for _ in range(MAX_BACKEDGE_ITERS + 1):
            changed = False
            for state, equal in backedges:
                changed |= propagate(equal, state)
            if not changed:
                break
        else:
            from kfunclab.verifier.precision import mark_all_scalars_precise

            for state, _ in backedges:
                mark_all_scalars_precise(state)
        return key


def format_callchain(key: CallChain) -> str:
    """``format_callchain()``: ``(12,1)`` for loop 1 reached through the call at 12."""
    sites, scc = key
    return "(" + "".join(f"{s}," for s in sites) + f"{scc})"
