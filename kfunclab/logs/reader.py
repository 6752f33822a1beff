"""``read_log``: a kernel verifier log (6.18 format, level 1 or 2) as a verification result.

The result is a :class:`LogResult`, a :class:`~kfunclab.verifier.result.VerificationResult` whose
paths, steps, references, error and statistics come from the log, so kfunclab's views (state
explorer, rejected path on the CFG, reference lifetimes, heat map) draw it unchanged. Steps carry
:class:`~kfunclab.logs.states.LogSnapshot` states: the registers the log printed, carried from
step to step the way the verifier changes them (a call clobbers R1-R5, a release turns every copy
into ``scalar()``, a NULL check refines every copy of the pointer).

>>> log = ("func#0 @0\\n0: R1=ctx() R10=fp0\\n0: (b7) r0 = 2                        ; R0=2\\n"
...        "1: (95) exit\\nprocessed 2 insns (limit 1000000) max_states_per_insn 0 "
...        "total_states 0 peak_states 0 mark_read 0\\n")
>>> r = read_log(log)
>>> r.verdict.value, r.stats.processed_insns, r.paths[0].steps[0].state.live_regs()["R0"]
('accept', 2, '2')
"""

from __future__ import annotations

import dataclasses
import errno as errno_mod
import re
from collections import Counter
from dataclasses import dataclass, field

from kfunclab.errors import KfunclabError
from kfunclab.isa.insn import Call, CallKind, Exit, Insn, Jump
from kfunclab.logs.lines import LineKind, LogLine, classify_all
from kfunclab.logs.program import log_program, parse_log_insn
from kfunclab.logs.refs import lifetimes
from kfunclab.logs.states import LogSnapshot, build_snapshot, parse_state, ref_ids_in
from kfunclab.verifier.result import (
    Diagnostic,
    ExploredPath,
    PathEnd,
    Stats,
    Step,
    Verdict,
    VerificationResult,
)

#: lines error_line() skips (kernel/verdict.py, after kcheck.py): never the error
_NOT_THE_ERROR = ("verification time", "stack depth", "-- END PROG LOAD LOG", "cur state:",
                  "old state:")
_REFUSED = re.compile(r"errno (\d+) \(\w+\), empty verifier log")
TRUNCATED_NOTE = ("the log was truncated by the kernel's buffer (ENOSPC): {what}; "
                  "load again with a larger log buffer to see it all")


@dataclass(frozen=True, repr=False)
class LogResult(VerificationResult):
    """What :func:`read_log` found: a VerificationResult plus what only a log has.

    ``unparsed`` is every line kfunclab could not read, as ``(line number, text)``;
    ``precise`` the ``mark_precise`` lines ``(line number, insn being checked, text)``;
    ``sources`` the ``; source @ file:N`` lines by the instruction they precede;
    ``subprogs`` ``(func#, first insn)``; ``live_masks`` the ``Live regs before insn:`` column.
    """

    unparsed: tuple[tuple[int, str], ...] = ()
    precise: tuple[tuple[int, int | None, str], ...] = ()
    sources: dict[int, tuple[str, str, int]] = field(default_factory=dict)
    subprogs: tuple[tuple[int, int], ...] = ()
    subprog_names: dict[int, str] = field(default_factory=dict)
    live_masks: dict[int, str] = field(default_factory=dict)
    has_summary: bool = False
    #: (path id, step index) -> the last log line (1-based) that step's text came from
    step_lines: dict[tuple[int, int], int] = field(default_factory=dict)
    lines: tuple[LogLine, ...] = ()

    def __repr__(self) -> str:
        what = f"reject: {self.error}" if self.error else (
            "verdict unknown (truncated)" if self.truncated and not self.has_summary else "accept")
        return (f"<LogResult {what} ({self.stats.processed_insns} insns processed, "
                f"{len(self.paths)} paths, {len(self.lines)} lines, "
                f"{len(self.unparsed)} unparsed)>")

    def program_text(self, insn: int | None) -> str:
        """The kernel's text of instruction ``insn`` as the log printed it."""
        if insn is None or self.program.source is None:
            return ""
        lines = self.program.source.text.splitlines()
        return lines[insn] if 0 <= insn < len(lines) else f"{insn}:"

    def to_json(self, file: str | None = None) -> dict:
        """The ``kfunclab log --json`` record (``verify --json``'s fields, plus ``unparsed``)."""
        record = VerificationResult.to_json(self, file)
        record.pop("profile", None)
        if self.verdict is Verdict.UNSUPPORTED:
            record["verdict"] = "unknown"
        record.update(truncated=self.truncated, log_level=self.log_level,
                      unparsed=[{"line": n, "text": t} for n, t in self.unparsed])
        return record


@dataclass
class _Path:
    id: int
    parent: int | None
    branch_insn: int | None
    start_insn: int
    start_state: LogSnapshot
    steps: list[Step] = field(default_factory=list)
    end: PathEnd | None = None
    end_insn: int | None = None


class _Reader:
    """Walks the classified lines once, keeping the state the log has shown so far."""

    def __init__(self, lines: list[LogLine]) -> None:
        self.lines = lines
        self.texts: dict[int, str] = {}
        self.parsed: dict[int, Insn | None] = {}
        self.last_path_at: dict[int, int] = {}  # insn -> the latest path that processed it
        self.paths: list[_Path] = []
        self.cur: _Path | None = None
        self.regs: dict[str, str] = {}
        self.stack: dict[str, str] = {}
        self.refs: tuple[int, ...] = ()
        self.frameno = 0
        self.frames: dict[int, tuple[dict[str, str], dict[str, str]]] = {}
        self.pending: int | None = None  # insn whose state-after has not been printed yet
        self.visits: Counter[int] = Counter()
        self.precise: list[tuple[int, int | None, str]] = []
        self.sources: dict[int, tuple[str, str, int]] = {}
        self.next_source: tuple[str, str, int] | None = None
        self.subprogs: list[tuple[int, int]] = []
        self.names: dict[int, str] = {}
        self.live: dict[int, str] = {}
        self.text_lines: list[LogLine] = []
        self.bad_lines: list[tuple[int, str]] = []
        self.summary: LogLine | None = None
        self.last_insn: int | None = None
        self.last_insn_line = 0
        self.level = 1
        self.line_no = 0
        self.call_head = ""
        self.unreleased: list[LogLine] = []
        self.step_lines: dict[tuple[int, int], int] = {}
        #: ref id -> (the insn after which it first showed in refs=, what that insn called)
        self.acquired: dict[int, tuple[int, str]] = {}

    # --- state -------------------------------------------------------------------------------
    def snapshot(self, seen: frozenset[str] = frozenset()) -> LogSnapshot:
        return build_snapshot(self.regs, self.stack, self.refs, self.acquired, self.frameno,
                              seen)

    def replace(self, text: str) -> frozenset[str]:
        state = parse_state(text)
        self.regs, self.stack = dict(state.regs), dict(state.stack)
        self.refs = state.refs or ()
        self.frameno = state.frameno
        return frozenset(state.regs) | frozenset(state.stack)

    def merge(self, insn: int, text: str, printed: bool = True) -> None:
        """The scratched registers and slots printed after ``insn``, over the carried state.

        ``printed`` False: nothing was printed yet, only apply what the instruction implies.
        """
        state = parse_state(text)
        ins = self._insn(insn)
        before = dict(self.regs)
        if isinstance(ins, Call) and ins.kind is not CallKind.SUBPROG:
            # check_helper_call()/check_kfunc_call(): caller-saved R0-R5 reset, R0 set again
            for r in range(6):
                self.regs.pop(f"R{r}", None)
        if state.frameno != self.frameno:  # entered or left a subprogram: that frame's values
            self.frames[self.frameno] = (self.regs, self.stack)
            self.regs, self.stack = self.frames.pop(state.frameno, ({}, {}))
            before = dict(self.regs)
        self.frameno = state.frameno
        self.regs.update(state.regs)
        self.stack.update(state.stack)
        new_refs = (state.refs or ()) if printed else self.refs
        gone = set(self.refs) - set(new_refs)
        for ref in set(new_refs) - set(self.refs):
            self.acquired.setdefault(ref, (insn, (ins.name or "") if isinstance(ins, Call) else ""))
        self.refs = new_refs
        if gone:  # release_reference(): every copy becomes scalar() for a privileged loader;
            # a NULL branch (mark_ptr_or_null_regs) makes every copy the constant 0
            lost = "0" if isinstance(ins, Jump) else "scalar()"
            for place in (self.regs, self.stack):
                for key, value in place.items():
                    shown = key in state.regs or key in state.stack
                    if not shown and ref_ids_in(value) & gone:
                        place[key] = lost
        if isinstance(ins, Jump):  # mark_ptr_or_null_regs()/sync_linked_regs(): every copy
            for key, new in state.regs.items():
                old = before.get(key)
                if old is None or old == new or "id=" not in old:
                    continue
                for place in (self.regs, self.stack):
                    for other, value in list(place.items()):
                        if other not in state.regs and other not in state.stack and value == old:
                            place[other] = new
        seen = frozenset(state.regs) | frozenset(state.stack)
        self._set_last_state(self.snapshot(seen))

    def _insn(self, idx: int) -> Insn | None:
        """The instruction at ``idx`` as printed (parsed once; None if unreadable)."""
        if idx in self.parsed:
            return self.parsed[idx]
        text = self.texts.get(idx)
        if text is None:
            return None
        try:
            insn: Insn | None = parse_log_insn(text)
        except KfunclabError:  # reported by log_program() as unparsed
            insn = None
        self.parsed[idx] = insn
        return insn

    def _set_last_state(self, snap: LogSnapshot) -> None:
        if self.cur is not None and self.cur.steps:
            self.cur.steps[-1] = Step(self.cur.steps[-1].insn, snap)
            self.step_lines[(self.cur.id, len(self.cur.steps) - 1)] = self.line_no

    # --- paths -------------------------------------------------------------------------------
    def start_path(self, parent: int | None, branch: int | None, start: int) -> _Path:
        path = _Path(len(self.paths), parent, branch, start, self.snapshot())
        self.paths.append(path)
        self.cur = path
        return path

    def close(self, end: PathEnd | None = None, insn: int | None = None) -> None:
        path = self.cur
        if path is not None and path.end is None:
            last = path.steps[-1].insn if path.steps else None
            if end is None:
                end = PathEnd.EXIT if last is not None and isinstance(self._insn(last), Exit) \
                    else PathEnd.DEAD
            path.end, path.end_insn = end, insn if insn is not None else last
        self.cur = None

    def parent_of(self, branch: int) -> int | None:
        """The path that pushed the branch at ``branch``: the latest one that processed it."""
        return self.last_path_at.get(branch)

    # --- lines -------------------------------------------------------------------------------
    def run(self) -> None:
        for line in self.lines:
            self.line_no = line.number
            handler = getattr(self, "on_" + line.kind.name.lower(), None)
            if handler is None:
                continue
            try:
                handler(line)
            except ValueError as exc:  # a state item of no known form: keep the line, go on
                self.bad_lines.append((line.number, f"{line.text}  [{exc}]"))
        if self.cur is not None and self.cur.end is None:
            self.close()

    def on_func(self, line: LogLine) -> None:
        self.level = 2  # check_subprogs() prints func#N only at level 2
        self.subprogs.append((line.fields["func"], line.fields["start"]))

    def on_live_row(self, line: LogLine) -> None:
        self.level = 2
        self.texts[line.fields["insn"]] = line.fields["text"]
        self.live[line.fields["insn"]] = line.fields["live"]

    def on_validating(self, line: LogLine) -> None:
        self.names[line.fields["func"]] = line.fields["name"]

    def on_source(self, line: LogLine) -> None:
        self.next_source = (line.fields["source"], line.fields["file"], line.fields["line"])

    def on_precise(self, line: LogLine) -> None:
        self.precise.append((line.number, self.last_insn, line.text))

    def on_unreleased(self, line: LogLine) -> None:
        self.unreleased.append(line)

    def on_summary(self, line: LogLine) -> None:
        self.summary = line

    def on_text(self, line: LogLine) -> None:
        self.text_lines.append(line)
        if "summary" in line.fields:
            self.summary = LogLine(line.number, LineKind.SUMMARY, line.text,
                                   line.fields["summary"])

    def on_insn(self, line: LogLine) -> None:
        idx = line.fields["insn"]
        self.texts.setdefault(idx, line.fields["text"])
        if self.next_source is not None:
            self.sources.setdefault(idx, self.next_source)
            self.next_source = None
        if self.cur is None:
            self.start_path(None, None, idx)
        assert self.cur is not None
        self.visits[idx] += 1
        before = self.snapshot()
        self.cur.steps.append(Step(idx, before))
        self.last_path_at[idx] = self.cur.id
        self.step_lines[(self.cur.id, len(self.cur.steps) - 1)] = line.number
        self.last_insn, self.last_insn_line = idx, line.number
        self.pending = idx
        if line.fields.get("state") is not None:
            self.pending = None
            self.merge(idx, line.fields["state"])
        elif "joined_insn" in line.fields:  # level 1: pop_stack() rewound to a pushed branch
            self.pending = None
            self.replace(line.fields["joined_state"])
        elif isinstance(self._insn(idx), Call):
            self.merge(idx, "", printed=False)  # nothing printed yet: at least the clobbered R1-R5

    def on_state(self, line: LogLine) -> None:
        idx = self.pending
        self.last_insn_line = line.number
        if idx is not None and not isinstance(self._insn(idx), Exit):
            self.pending = None
            self.merge(idx, line.fields["state"])
            return
        self.pending = None
        self.replace(line.fields["state"])
        if self.cur is None:
            self.start_path(None, None, line.fields["insn"])

    def on_calls(self, line: LogLine) -> None:
        self.call_head = line.fields["head"] or "to caller"

    def on_call_state(self, line: LogLine) -> None:
        """The states around a bpf-to-bpf call (6.18 prints them under ``caller:`` ...)."""
        if self.call_head == "callee":  # entering: the caller's frame waits below
            self.frames[self.frameno] = (self.regs, self.stack)
            self.replace(line.fields["state"])
        elif self.call_head == "to caller":  # returned: the caller's frame, with R0 set
            self.frames = {k: v for k, v in self.frames.items() if k < self.frameno}
            self.replace(line.fields["state"])
            self.frames.pop(self.frameno, None)
            self._set_last_state(self.snapshot(frozenset()))
            self.pending = None

    def on_from(self, line: LogLine) -> None:
        self.level = 2
        self.close()
        self.pending = None
        self.replace(line.fields["state"])
        frm, to = line.fields["frm"], line.fields["to"]
        self.start_path(self.parent_of(frm), frm, to)

    def on_from_safe(self, line: LogLine) -> None:
        self.close()
        self.pending = None
        frm, to = line.fields["frm"], line.fields["to"]
        path = _Path(len(self.paths), self.parent_of(frm), frm, to, LogSnapshot(),
                     end=PathEnd.PRUNED, end_insn=to)
        self.paths.append(path)

    def on_safe(self, line: LogLine) -> None:
        self.pending = None
        self.close(PathEnd.PRUNED, line.fields["insn"])


def _error_line(lines: list[LogLine]) -> LogLine | None:
    """The kernel's first-error line (verdict.error_line's rule) as a LogLine, if any."""
    end = len(lines)
    for k in range(len(lines) - 1, -1, -1):
        if lines[k].kind is LineKind.SUMMARY:
            end = k
            break
    for line in reversed(lines[:end]):
        text = line.text.strip()
        if text and not text.startswith(_NOT_THE_ERROR):
            return line
    return None


def _head_lost(lines: list[LogLine]) -> bool:
    """A rotated log's start is gone: it begins in the middle of the walk."""
    first = next((ln for ln in lines if ln.kind is not LineKind.BLANK), None)
    if first is None:
        return False
    middle = (LineKind.PRECISE, LineKind.FROM, LineKind.FROM_SAFE, LineKind.SAFE,
              LineKind.LIVE_ROW, LineKind.STACK_LIVE, LineKind.SOURCE)
    if first.kind in middle:
        return True
    return first.kind in (LineKind.INSN, LineKind.STATE) and first.fields["insn"] != 0


def _chain(paths: list[ExploredPath], path_id: int) -> tuple[int, ...]:
    """The instructions from the entry to the end of ``path_id``, through its parents."""
    by_id = {p.id: p for p in paths}
    out: list[int] = list(by_id[path_id].insns)
    path = by_id[path_id]
    while path.parent is not None and path.branch_insn is not None:
        parent = by_id[path.parent]
        insns = list(parent.insns)
        cut = len(insns) - insns[::-1].index(path.branch_insn) if path.branch_insn in insns \
            else len(insns)
        out = insns[:cut] + out
        path = parent
    return tuple(out)


def _empty(section: str, file: str, errno: int) -> LogResult:
    """bpf() failed and the verifier wrote nothing: refused before verification."""
    name = errno_mod.errorcode.get(errno, "?")
    message = f"errno {errno} ({name}), empty verifier log"  # kernel/verdict.py's convention
    program, _, _ = log_program({}, section, file)
    error = Diagnostic(None, message, errno=errno)
    return LogResult(program=program, verdict=Verdict.REJECT, error=error, stats=Stats(),
                     profile="kernel log", rejected=(error,), log_level=0, has_summary=False)


def read_log(text: str, *, section: str = "", file: str = "<log>",
             errno: int | None = None) -> LogResult:
    """Read a kernel verifier log (level 1 or 2, Linux 6.18 format) into a :class:`LogResult`.

    ``section`` names the program's section for the views (a log does not say it); ``errno``
    is what bpf() answered, when known. Lines of no known form are kept in ``unparsed`` with
    their line numbers. A log without its summary line, or whose start was rotated away, is
    ``truncated`` and says so in ``notes``.
    """
    if not text.strip() and errno:
        return _empty(section, file, errno)
    refused = _REFUSED.fullmatch(text.strip())
    if refused:  # kfunclab's (and kernel-verdict's) way of writing an empty log down
        return _empty(section, file, int(refused.group(1)))
    lines = classify_all(text.rstrip("\n")) if text.strip() else []
    reader = _Reader(lines)
    reader.run()
    program, unreadable, notes = log_program(reader.texts, section, file)
    paths = [ExploredPath(p.id, p.parent, p.branch_insn, p.start_insn, p.start_state,
                          tuple(p.steps), p.end or PathEnd.DEAD, p.end_insn) for p in reader.paths]
    stats = Stats(**{k: v for k, v in reader.summary.fields.items()}) if reader.summary \
        else Stats(processed_insns=sum(reader.visits.values()))
    truncated = bool(lines) and (reader.summary is None or _head_lost(lines))
    if truncated:
        notes.insert(0, TRUNCATED_NOTE.format(
            what="no summary line" if reader.summary is None else "its start was rotated away"))
    err_line = _error_line(lines) if reader.summary is not None else None
    error = None
    unparsed = [(ln.number, ln.text) for ln in reader.text_lines]
    failed = errno != 0 if errno is not None else (
        err_line is not None and err_line.kind in (LineKind.TEXT, LineKind.NOTE))
    if err_line is not None and failed:
        insn = reader.last_insn if reader.last_insn_line < err_line.number else None
        context = tuple(ln.text for ln in lines[reader.last_insn_line:err_line.number - 1]
                        if ln.kind in (LineKind.TEXT, LineKind.UNRELEASED))
        rejected = next((p for p in reversed(paths) if p.end is not PathEnd.PRUNED), None)
        error = Diagnostic(insn, err_line.text.strip(), context,
                           _chain(paths, rejected.id) if rejected else (),
                           rejected.id if rejected else 0, errno or 13)
        if rejected is not None and rejected.steps and rejected.steps[-1].insn == insn:
            # the failing instruction changed nothing and printed nothing: its state is the
            # one before it
            before = rejected.steps[-2].state if len(rejected.steps) > 1 else rejected.start_state
            if isinstance(before, LogSnapshot):
                before = dataclasses.replace(before, seen=frozenset())
            rejected = dataclasses.replace(rejected, steps=(*rejected.steps[:-1],
                                                                 Step(insn, before)))
        if rejected is not None:
            paths[rejected.id] = ExploredPath(
                rejected.id, rejected.parent, rejected.branch_insn, rejected.start_insn,
                rejected.start_state, rejected.steps, PathEnd.REJECTED, insn, error=error)
        claimed = {err_line.number} | {ln.number for ln in lines[reader.last_insn_line:
                                                                  err_line.number - 1]
                                        if ln.kind is LineKind.TEXT}
        unparsed = [(n, t) for n, t in unparsed if n not in claimed]
    unparsed += reader.bad_lines
    unparsed.sort()
    unparsed += [(0, f"insn {i}: {t}") for i, t in unreadable]
    if error is not None:
        verdict = Verdict.REJECT
    elif truncated and reader.summary is None:
        # the walk's end is missing: bpf() failed (ENOSPC) and the log cannot say why or whether
        # the verifier would have accepted; "unsupported" is a result's "kfunclab cannot say"
        verdict = Verdict.UNSUPPORTED
    else:
        verdict = Verdict.ACCEPT
    paths_t = tuple(paths)
    return LogResult(
        program=program, verdict=verdict, error=error, stats=stats, profile="kernel log",
        paths=paths_t, references=lifetimes(paths_t, program, reader.unreleased, error),
        rejected=(error,) if error else (), log_lines=tuple(text.rstrip("\n").split("\n"))
        if text.strip() else (), log_level=reader.level, truncated=truncated,
        visits=dict(reader.visits), notes=tuple(notes), unparsed=tuple(unparsed),
        precise=tuple(reader.precise), sources=reader.sources, subprogs=tuple(reader.subprogs),
        subprog_names=reader.names, live_masks=reader.live, has_summary=reader.summary is not None,
        step_lines=reader.step_lines, lines=tuple(lines))
