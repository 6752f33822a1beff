"""What the explorer remembers for the result: paths, steps, checkpoints, prunes, references.

Recording is separate from checking so the explorer stays fast when nobody looks: with
``max_steps`` reached, states are no longer copied per step (the result says ``truncated``), while
paths, prunes and reference events are still counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kfunclab.verifier.result import (
    Checkpoint,
    Diagnostic,
    ExploredPath,
    PathEnd,
    PruneEvent,
    RefEvent,
    RefEventKind,
    RefLifetime,
    Step,
)
from kfunclab.verifier.state import Snapshot, VState

_EMPTY = Snapshot((), (), ())  # immutable: one for every path whose start was not recorded


@dataclass
class _OpenPath:
    id: int
    parent: int | None
    branch_insn: int | None
    start_insn: int
    start_state: Snapshot | None
    steps: list[Step] = field(default_factory=list)


@dataclass
class _RefInfo:
    acquired_at: int
    origin: str
    kind: str
    events: list[RefEvent] = field(default_factory=list)


class Recorder:
    """Collects the explored paths and events of one verification."""

    def __init__(self, max_steps: int = 200_000, log_level: int = 1) -> None:
        self.max_steps = max_steps
        self.steps_recorded = 0
        self.truncated = False
        self.log_level = log_level
        self.log: list[str] = []
        self.paths: list[ExploredPath] = []
        self._stored: list[tuple[int, int, VState | None]] = []
        self.prunes: list[PruneEvent] = []
        self.refs: dict[int, _RefInfo] = {}
        self.visits: defaultdict[int, int] = defaultdict(int)
        self._open: _OpenPath | None = None
        self._next_path = 0

    # --- paths -----------------------------------------------------------------------------
    def start_path(self, state: VState, parent: int | None, branch_insn: int | None) -> int:
        path_id = self._next_path
        self._next_path += 1
        snap = state.snapshot() if self.steps_recorded < self.max_steps else None
        self._open = _OpenPath(path_id, parent, branch_insn, state.insn_idx, snap)
        state.path_id = path_id
        return path_id

    @property
    def recording(self) -> bool:
        return self.steps_recorded < self.max_steps

    @property
    def path_id(self) -> int:
        return self._open.id if self._open else -1

    def step(self, insn: int, state: VState) -> None:
        self.visits[insn] += 1
        if self.steps_recorded >= self.max_steps:
            self.truncated = True
            return
        self.steps_recorded += 1
        assert self._open is not None
        self._open.steps.append(Step(insn, state.snapshot()))

    def end_path(self, end: PathEnd, insn: int | None, pruned_by: int | None = None,
                 error: Diagnostic | None = None) -> None:
        p = self._open
        if p is None:
            return
        self.paths.append(ExploredPath(p.id, p.parent, p.branch_insn, p.start_insn,
                                       p.start_state or _EMPTY, tuple(p.steps), end, insn,
                                       pruned_by, error))
        self._open = None

    # --- checkpoints and pruning -----------------------------------------------------------
    def checkpoint(self, insn: int, state: VState) -> int:
        """Remember a stored state; it is snapshotted at the end, with the precision marks
        that later backtracking added to it."""
        cid = len(self._stored)
        self._stored.append((insn, self.path_id, state if self.recording else None))
        return cid

    def checkpoint_values(self) -> tuple[Checkpoint, ...]:
        empty = Snapshot((), (), ())
        return tuple(Checkpoint(cid, insn, path, state.snapshot() if state else empty)
                     for cid, (insn, path, state) in enumerate(self._stored))

    def pruned(self, insn: int, checkpoint_id: int) -> None:
        self.prunes.append(PruneEvent(insn, self.path_id, checkpoint_id))

    # --- references ------------------------------------------------------------------------
    def ref_acquired(self, ref_id: int, insn: int, origin: str, kind: str,
                     where: str = "R0") -> None:
        info = self.refs.setdefault(ref_id, _RefInfo(insn, origin, kind))
        info.events.append(RefEvent(RefEventKind.ACQUIRED, insn, self.path_id, where, origin))

    def ref_event(self, ref_id: int, kind: RefEventKind, insn: int, where: str,
                  detail: str = "") -> None:
        info = self.refs.get(ref_id)
        if info is None:
            return
        info.events.append(RefEvent(kind, insn, self.path_id, where, detail))

    def lifetimes(self) -> tuple[RefLifetime, ...]:
        return tuple(RefLifetime(rid, info.acquired_at, info.origin, info.kind,
                                 tuple(info.events))
                     for rid, info in sorted(self.refs.items()))

    # --- log -------------------------------------------------------------------------------
    def line(self, text: str) -> None:
        if self.log_level:
            self.log.append(text)
