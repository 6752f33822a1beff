"""The verification result: a value that views, the CLI and tests only read.

>>> from kfunclab.verifier import verify_text
>>> result = verify_text('# SEC("xdp")\\n r0 = 2\\n exit\\n')
>>> result.verdict.value, result.stats.processed_insns
('accept', 2)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from kfunclab.verifier.state import Snapshot

if TYPE_CHECKING:
    from kfunclab.isa.program import Program

#: type -> HTML renderer, filled by the views layer (``kfunclab.viz.html`` registers itself on
#: import), so that the verifier never imports a view. Until a view is imported, notebooks show
#: a result's text repr.
HTML_VIEWS: dict[type, Callable[[Any], str]] = {}


def register_html_view(cls: type, render: Callable[[Any], str]) -> None:
    """Show values of ``cls`` in notebooks as ``render(value)`` (the views layer calls this).

    >>> class Demo: _repr_html_ = html_of
    >>> register_html_view(Demo, lambda value: "<b>demo</b>")
    >>> Demo()._repr_html_()
    '<b>demo</b>'
    """
    HTML_VIEWS[cls] = render


def html_of(value: object) -> str | None:
    """``value`` as HTML by its registered view, or None (IPython then shows the text repr)."""
    render = HTML_VIEWS.get(type(value))
    return render(value) if render is not None else None


class Verdict(Enum):
    ACCEPT = "accept"
    REJECT = "reject"
    #: kfunclab does not model something the program uses; ``error.message`` says what
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Why a path was rejected: where, the kernel's message, and how the path got there.

    ``context`` holds the log lines the kernel prints just before the message (for a leak:
    ``Unreleased reference id=2 alloc_insn=1``). ``path`` is the instruction indices of the
    rejected path from the program's entry, in order.
    """

    insn: int | None
    message: str
    context: tuple[str, ...] = ()
    path: tuple[int, ...] = ()
    path_id: int = 0
    errno: int = 13  # EACCES unless the kernel says otherwise

    def __str__(self) -> str:
        where = f"insn {self.insn}: " if self.insn is not None else ""
        return where + self.message


class PathEnd(Enum):
    """How one explored path ended."""

    EXIT = "exit"  # reached the main program's exit safely
    PRUNED = "pruned"  # equivalent to a stored state already proven safe
    REJECTED = "rejected"
    DEAD = "dead"  # the remaining paths were never explored (an earlier path was rejected)
    LIMIT = "limit"  # the 1,000,000-instruction budget ran out


@dataclass(frozen=True, slots=True)
class Step:
    """One processed instruction on one path, and the state right after it."""

    insn: int
    state: Snapshot


@dataclass(frozen=True, slots=True)
class ExploredPath:
    """A path the verifier walked: from the entry, or from a branch popped off its stack."""

    id: int
    parent: int | None  # the path that pushed this branch
    branch_insn: int | None  # the jump whose other edge this path explores
    start_insn: int
    start_state: Snapshot
    steps: tuple[Step, ...]
    end: PathEnd
    end_insn: int | None
    pruned_by: int | None = None  # checkpoint id, when end is PRUNED
    error: Diagnostic | None = None

    @property
    def insns(self) -> tuple[int, ...]:
        return tuple(s.insn for s in self.steps)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A state the verifier stored at a prune point to compare later paths against."""

    id: int
    insn: int
    path_id: int
    state: Snapshot


@dataclass(frozen=True, slots=True)
class PruneEvent:
    """At ``insn`` the state of ``path_id`` was found equivalent to ``checkpoint_id``."""

    insn: int
    path_id: int
    checkpoint_id: int


class RefEventKind(Enum):
    ACQUIRED = "acquired"
    NULL_CHECKED = "null-checked"
    NULL_BRANCH = "null on this branch"
    COPIED = "copied"
    SPILLED = "spilled"
    FILLED = "filled"
    PASSED = "passed"
    RELEASED = "released"
    MOVED_TO_MAP = "moved to map"
    LEAKED = "leaked"


@dataclass(frozen=True, slots=True)
class RefEvent:
    """Something that happened to a reference on one path, at one instruction."""

    kind: RefEventKind
    insn: int
    path_id: int
    where: str = ""  # the register or stack slot holding it ("R0", "fp-8")
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RefLifetime:
    """Everything that happened to one reference id, across the paths that carried it."""

    ref_id: int
    acquired_at: int
    acquired_by: str
    kind: str
    events: tuple[RefEvent, ...]

    @property
    def leaked(self) -> bool:
        return any(e.kind is RefEventKind.LEAKED for e in self.events)

    def on_path(self, path_id: int) -> tuple[RefEvent, ...]:
        return tuple(e for e in self.events if e.path_id == path_id)


@dataclass(frozen=True, slots=True)
class Stats:
    """The kernel's summary figures (``processed N insns ... peak_states P mark_read 0``)."""

    processed_insns: int = 0
    total_states: int = 0
    peak_states: int = 0
    max_states_per_insn: int = 0
    mark_read: int = 0

    def summary_line(self) -> str:
        return (f"processed {self.processed_insns} insns (limit 1000000) "
                f"max_states_per_insn {self.max_states_per_insn} "
                f"total_states {self.total_states} peak_states {self.peak_states} "
                f"mark_read {self.mark_read}")


@dataclass(frozen=True)
class VerificationResult:
    """What :func:`kfunclab.verifier.verify` found: a value, never an exception."""

    program: Program
    verdict: Verdict
    error: Diagnostic | None
    stats: Stats
    profile: str
    paths: tuple[ExploredPath, ...] = ()
    checkpoints: tuple[Checkpoint, ...] = ()
    prune_events: tuple[PruneEvent, ...] = ()
    references: tuple[RefLifetime, ...] = ()
    rejected: tuple[Diagnostic, ...] = ()  # every rejected path (collect_all), first = error
    log_lines: tuple[str, ...] = ()
    log_level: int = 1
    truncated: bool = False  # steps were not all recorded (very long explorations)
    visits: dict[int, int] = field(default_factory=dict)  # insn -> times processed
    #: where this answer and the live kernel's may part (e.g. trampoline programs, which the
    #: development machines' kernel refuses before verifying)
    notes: tuple[str, ...] = ()
    #: subprogram start -> the deepest stack the walk gave it (subprog_info[].stack_depth)
    stack_depths: dict[int, int] = field(default_factory=dict)
    #: (jumps, instructions) processed since the walk's last checkpoint, at its end: the next
    #: walk of the same load (a global function) starts from them (do_check_common() keeps
    #: env's counters)
    since_checkpoint: tuple[int, int] = (0, 0)

    @property
    def accepted(self) -> bool:
        return self.verdict is Verdict.ACCEPT

    @property
    def log(self) -> str:
        """The verifier log in the kernel's format, ending with the summary line."""
        return "\n".join(self.log_lines)

    def path(self, path_id: int) -> ExploredPath:
        return next(p for p in self.paths if p.id == path_id)

    def rejected_paths(self) -> tuple[ExploredPath, ...]:
        return tuple(p for p in self.paths if p.end is PathEnd.REJECTED)

    def to_json(self, file: str | None = None) -> dict:
        """The ``verify --json`` record: the fields kernel-verdict prints, and a few more."""
        err = self.error
        return {
            "file": file,
            "section": self.program.section,
            "prog_type": getattr(self.program, "prog_type_name", None),
            "verdict": self.verdict.value,
            "error": err.message if err else None,
            "insn": err.insn if err else None,
            "processed_insns": self.stats.processed_insns,
            "total_states": self.stats.total_states,
            "peak_states": self.stats.peak_states,
            "max_states_per_insn": self.stats.max_states_per_insn,
            "profile": self.profile,
            **({"notes": list(self.notes)} if self.notes else {}),
        }

    def _repr_html_(self) -> str | None:
        return html_of(self)
