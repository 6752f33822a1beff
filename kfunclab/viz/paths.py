"""Whole paths from the entry, rebuilt from a result's explored path segments (no matplotlib).

The explorer records a path from the point where it was popped off the branch stack: path 1 of
a leak may hold only ``(17, 18)``, its instructions before the branch live in its parent. A view
wants the whole walk, so :func:`full_path` chains the segments back to the entry the way the
explorer builds a :class:`~kfunclab.verifier.result.Diagnostic`'s ``path`` (the parent's steps
up to the last visit of the branch instruction), and :func:`ref_events_on_path` places every
reference event at its position on that walk.

>>> from kfunclab.verifier import verify_text
>>> result = verify_text('# SEC("xdp")\\n r0 = 2\\n exit\\n')
>>> [p.insn for p in full_path(result)]
[0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kfunclab.errors import KfunclabError

if TYPE_CHECKING:
    from kfunclab.verifier.result import (
        ExploredPath,
        RefEvent,
        RefLifetime,
        VerificationResult,
    )
    from kfunclab.verifier.state import Snapshot


class ViewError(KfunclabError):
    """A view was asked for something the result does not hold (a path id, an instruction)."""


@dataclass(frozen=True, slots=True)
class Position:
    """One processed instruction on a whole path: which segment recorded it, and the state
    right after it (for a branch point, the state on the side this path took)."""

    insn: int
    path_id: int
    step: int  # index into that segment's steps
    state: Snapshot


@dataclass(frozen=True, slots=True)
class PlacedEvent:
    """A reference event at its position (index into :func:`full_path`) on a whole path."""

    position: int
    event: RefEvent


def default_path_id(result: VerificationResult) -> int:
    """The rejected path if there is one, else the path with the longest walk from the entry."""
    if result.error is not None and any(p.id == result.error.path_id for p in result.paths):
        return result.error.path_id
    if not result.paths:
        why = f": {result.error}" if result.error is not None else ""
        raise ViewError(f"the result has no explored paths (rejected before exploration{why})")
    by_id = {p.id: p for p in result.paths}
    length: dict[int, int] = {}
    for p in sorted(result.paths, key=lambda p: p.id):  # parents have smaller ids
        length[p.id] = len(p.steps) + sum(keep for _, keep in _chain(by_id, p.id)[:-1])
    return max(length, key=lambda i: (length[i], -i))


def _segment(by_id: dict[int, ExploredPath], path_id: int) -> ExploredPath:
    if path_id not in by_id:
        known = ", ".join(str(i) for i in sorted(by_id)) or "none"
        raise ViewError(f"no explored path with id {path_id} (paths: {known})")
    return by_id[path_id]


def _chain(by_id: dict[int, ExploredPath], path_id: int) -> list[tuple[ExploredPath, int]]:
    """Segments from the entry to ``path_id``, each with how many of its steps the walk keeps."""
    seg = _segment(by_id, path_id)
    chain = [(seg, len(seg.steps))]
    cut = seg.branch_insn
    while seg.parent is not None:
        seg = _segment(by_id, seg.parent)
        insns = seg.insns
        # the explorer's own rule (Explorer._path_prefix): up to the last visit of the branch
        keep = len(insns) - insns[::-1].index(cut) if cut in insns else len(insns)
        chain.append((seg, keep))
        cut = seg.branch_insn
    chain.reverse()
    return chain


def full_path(result: VerificationResult, path_id: int | None = None) -> tuple[Position, ...]:
    """Every processed instruction of path ``path_id`` (default: :func:`default_path_id`) from the
    program's entry, in order. For a rejected path the instructions equal its diagnostic's
    ``path``; steps not recorded (a ``truncated`` result) are missing."""
    if path_id is None:
        path_id = default_path_id(result)
    chain = _chain({p.id: p for p in result.paths}, path_id)
    out: list[Position] = []
    for k, (seg, keep) in enumerate(chain):
        out += [Position(s.insn, seg.id, i, s.state) for i, s in enumerate(seg.steps[:keep])]
        child = chain[k + 1][0] if k + 1 < len(chain) else None
        if child is not None and out and child.start_state.regs:
            # the branch point: show the state on the side the child took
            last = out[-1]
            out[-1] = Position(last.insn, last.path_id, last.step, child.start_state)
    return tuple(out)


def ref_events_on_path(result: VerificationResult, lifetime: RefLifetime,
                       path_id: int | None = None) -> tuple[PlacedEvent, ...]:
    """The events of one reference that happened on the walk of ``path_id``, placed on it.

    A segment's events are matched in order to its own kept steps. Events a branch recorded at
    its branch instruction (``null on this branch``) sit at the branch point and replace what the
    parent recorded there for the same reference (the parent went the other way).
    """
    if path_id is None:
        path_id = default_path_id(result)
    chain = _chain({p.id: p for p in result.paths}, path_id)
    positions = full_path(result, path_id)
    placed: list[PlacedEvent] = []
    base = 0
    for seg, keep in chain:
        kept = min(keep, len(seg.steps))
        own = seg.insns[:kept]
        events = [e for e in lifetime.events if e.path_id == seg.id]
        at_branch = [e for e in events if e.insn == seg.branch_insn and e.insn not in own]
        if at_branch and base > 0:
            placed = [p for p in placed if p.position != base - 1]
            placed += [PlacedEvent(base - 1, e) for e in at_branch]
        cursor, last = 0, None
        for event in events:
            if event.insn == seg.branch_insn and event.insn not in own:
                continue
            # the same event again at the same instruction is the next loop iteration
            start = cursor + 1 if last is not None and last == (event.kind, event.where) \
                and own[cursor] == event.insn else cursor
            hit = next((i for i in range(start, kept) if own[i] == event.insn), None)
            if hit is None:
                continue  # after the branch point where this walk left the segment
            placed.append(PlacedEvent(base + hit, event))
            cursor, last = hit, (event.kind, event.where)
        base += kept
    placed.sort(key=lambda p: p.position)  # stable: same-position events keep their order
    return tuple(p for p in placed if p.position < len(positions))
