"""Pure renderers behind the widgets: a result and a choice in, an HTML string out.

The widgets only wire controls to these functions, so every view can be tested (and reused)
without a browser. Nothing here imports ipywidgets or matplotlib.

>>> from kfunclab.verifier import verify_text
>>> r = verify_text('# SEC("syscall")\\n r1 = 1\\n call bpf_task_from_pid\\n r0 = 0\\n exit')
>>> walk = path_walk(r, r.error.path_id)
>>> [p.insn for p in walk]
[0, 1, 2, 3]
>>> "ref_obj_id=2" in render_state(r, r.error.path_id, 1)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kfunclab.errors import KfunclabError
from kfunclab.viz.html import (
    CELL,
    MONO,
    MUTED,
    TINT_CHANGED,
    TINT_NOTE,
    box,
    c_line_html,
    diagnostic_html,
    e,
    insn_text,
    listing_html,
    source_comment,
    source_line,
    table,
    tag,
    td,
)
from kfunclab.viz.text import CLine, c_line_of

if TYPE_CHECKING:
    from kfunclab.isa.program import Program
    from kfunclab.verifier.result import Diagnostic, ExploredPath, VerificationResult
    from kfunclab.verifier.state import Snapshot


class ExplorerError(KfunclabError):
    """A view was asked for a path or step the result does not have."""


@dataclass(frozen=True, slots=True)
class WalkStep:
    """One processed instruction of a walk from the entry, and the state right after it."""

    insn: int
    path_id: int  # the explored-path segment that recorded it
    step: int  # index into that segment's steps
    state: Snapshot


def _segment(result: VerificationResult, path_id: int) -> ExploredPath:
    for p in result.paths:
        if p.id == path_id:
            return p
    known = ", ".join(str(p.id) for p in result.paths) or "none"
    raise ExplorerError(f"no explored path with id {path_id}; expected one of: {known}")


def path_walk(result: VerificationResult, path_id: int) -> tuple[WalkStep, ...]:
    """Every step of path ``path_id`` from the program's entry.

    A pushed branch records only its own steps; the instructions before the branch are its
    parents'. ``kfunclab.viz.paths.full_path`` chains them; without it the segment's own steps
    are the walk.
    """
    seg = _segment(result, path_id)
    try:
        from kfunclab.viz.paths import full_path
    except ImportError:  # the viz helper's module is optional for this view
        return tuple(WalkStep(s.insn, seg.id, i, s.state) for i, s in enumerate(seg.steps))
    return tuple(WalkStep(p.insn, p.path_id, p.step, p.state) for p in full_path(result, path_id))


def default_path(result: VerificationResult) -> int | None:
    """The rejected path if there is one, else the longest walk; None without paths."""
    if not result.paths:
        return None
    if result.error is not None and any(p.id == result.error.path_id for p in result.paths):
        return result.error.path_id
    return max(result.paths, key=lambda p: (len(path_walk(result, p.id)), -p.id)).id


def path_end_text(result: VerificationResult, path: ExploredPath) -> str:
    """How a path ended, in one line (``pruned at insn 7: equivalent to checkpoint #0 ...``)."""
    at = f" at insn {path.end_insn}" if path.end_insn is not None else ""
    match path.end.value:
        case "exit":
            return f"reached exit{at}: safe"
        case "pruned":
            text = f"pruned{at}: its state is equivalent to checkpoint #{path.pruned_by}"
            cp = next((c for c in result.checkpoints if c.id == path.pruned_by), None)
            if cp is not None:
                text += f" (stored at insn {cp.insn} by path {cp.path_id}), already proven safe"
            return text
        case "rejected":
            msg = path.error.message if path.error is not None else "rejected"
            return f"rejected{at}: {msg}"
        case "dead":
            return "not explored: the verifier stopped at an earlier rejected path"
        case "limit":
            return f"stopped{at}: the 1,000,000-instruction budget ran out"
    return path.end.value


def path_label(result: VerificationResult, path: ExploredPath) -> str:
    """A dropdown label: ``path 1 · branch of insn 4 · rejected at insn 8``."""
    origin = ("from the entry" if path.branch_insn is None
              else f"other side of insn {path.branch_insn}")
    end = path.end.value + (f" at insn {path.end_insn}" if path.end_insn is not None else "")
    return f"path {path.id} · {origin} · {end}"


def _state_rows(state: Snapshot, before: Snapshot | None) -> tuple[list[str], list[str]]:
    regs_now, regs_old = state.live_regs(), before.live_regs() if before else {}
    reg_rows = []
    for name, value in regs_now.items():
        changed = regs_old.get(name) != value
        reg_rows.append(tag("tr", td(e(name), MONO) + td(e(value), MONO),
                            cls="kfunclab-reg" + (" kfunclab-reg-changed" if changed else ""),
                            style=TINT_CHANGED if changed else ""))
    gone = [n for n in regs_old if n not in regs_now]
    for name in gone:  # e.g. R1-R5 after a call: the kernel marks them NOT_INIT
        reg_rows.append(tag("tr", td(e(name), MONO + MUTED) + td("(not init)", MUTED),
                            cls="kfunclab-reg kfunclab-reg-changed", style=TINT_CHANGED))
    stack_now, stack_old = state.stack_text(), before.stack_text() if before else {}
    stack_rows = [tag("tr", td(e(k), MONO) + td(e(v), MONO), cls="kfunclab-slot",
                      style=TINT_CHANGED if stack_old.get(k) != v else "")
                  for k, v in stack_now.items()]
    return reg_rows, stack_rows


def refs_html(state: Snapshot) -> str:
    """The references the state holds (``refs[]``), or "none"."""
    if not state.refs:
        return tag("div", "references held: none", cls="kfunclab-refs", style=MUTED)
    items = [f"id={r.id} ({r.kind.value}{', ' + r.origin if r.origin else ''}, "
             f"acquired at insn {r.insn})" for r in state.refs]
    return tag("div", e("references held: " + "; ".join(items)), cls="kfunclab-refs",
               style=MONO)


def _locks_html(state: Snapshot) -> str:
    held = []
    if state.active_rcu_lock:
        held.append("bpf_rcu_read_lock")
    if state.active_preempt_locks:
        held.append(f"preemption disabled ×{state.active_preempt_locks}")
    if state.active_irq_id:
        held.append(f"IRQs saved (id={state.active_irq_id})")
    if state.depth > 1:
        held.append(f"in subprogram frame {state.frameno} (call depth {state.depth})")
    return tag("div", e("; ".join(held)), style=MONO + MUTED) if held else ""


def render_state(result: VerificationResult, path_id: int, step: int) -> str:
    """Step ``step`` of path ``path_id``: the instruction (index, text, source line), then
    registers, stack, live references and locks after it; changes since the previous step are
    tinted. At the last step, how the path ended."""
    walk = path_walk(result, path_id)
    path = _segment(result, path_id)
    if not walk:
        return box(tag("div", e(f"path {path_id} processed no instruction")) +
                   _end_html(result, path), "kfunclab-state")
    if not 0 <= step < len(walk):
        raise ExplorerError(f"path {path_id} has steps 0..{len(walk) - 1}, not {step}")
    here = walk[step]
    before = walk[step - 1].state if step else _segment(result, walk[0].path_id).start_state
    prog = result.program
    where = source_line(prog, here.insn)
    head = f"step {step + 1}/{len(walk)} · insn {here.insn}: {insn_text(prog, here.insn)}"
    comment = source_comment(prog, here.insn)
    sub = (f"line {where[0]}" if where else "") + (f"   {comment}" if comment else "")
    if here.path_id != path_id:
        sub += f"   (recorded by path {here.path_id}, before this path branched off)"
    reg_rows, stack_rows = _state_rows(here.state, before)
    parts = [
        c_line_html(c_line_of(prog, here.insn)),
        tag("div", e(head), cls="kfunclab-state-insn", style=MONO + "font-weight:600;",
            data_insn=here.insn),
        tag("div", e(sub), style=MUTED + "font-size:11px;"),
        tag("div", e("state after the instruction (as the kernel's log level 2 prints it):"),
            style=MUTED + "margin-top:4px;font-size:11px;"),
        tag("div",
            table(("register", "value"), reg_rows, "kfunclab-regs")
            + (table(("stack", "bytes / spilled value"), stack_rows, "kfunclab-stack")
               if stack_rows else tag("div", "stack: nothing written", style=MUTED)),
            style="display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start;"),
        refs_html(here.state),
        _locks_html(here.state),
    ]
    if step == len(walk) - 1:
        parts.append(_end_html(result, path))
    return box("".join(parts), "kfunclab-state")


def _end_html(result: VerificationResult, path: ExploredPath) -> str:
    text = path_end_text(result, path)
    return tag("div", e(text), cls=f"kfunclab-path-end kfunclab-path-{path.end.value}",
               style=TINT_NOTE + MONO + f"border-left:3px solid {_END_COLOUR[path.end.value]};"
               "padding:3px 8px;margin-top:6px;")


_END_COLOUR = {"exit": "#1a7f37", "pruned": "#2563eb", "rejected": "#c62828",
               "dead": "#888888", "limit": "#b45309"}


def render_walk_listing(result: VerificationResult, path_id: int, step: int | None) -> str:
    """The program listing with path ``path_id`` tinted and step ``step``'s instruction
    marked current (the failing instruction too, for a rejected path)."""
    walk = path_walk(result, path_id)
    path = _segment(result, path_id)
    current = walk[step].insn if step is not None and 0 <= step < len(walk) else None
    failing = path.error.insn if path.error is not None else None
    return listing_html(result.program, path=[w.insn for w in walk], current=current,
                        failing=failing)


# --- references --------------------------------------------------------------------------------


def render_refs(result: VerificationResult, path_id: int | None = None) -> str:
    """Every acquired reference and what happened to it (on one path, or on all)."""
    if not result.references:
        return box(tag("div", "This result holds no references (no KF_ACQUIRE kfunc or "
                              "acquiring helper was called).", style=MUTED), "kfunclab-refs")
    parts = []
    prog = result.program
    has_c = bool(prog.c_lines)  # an object's program: a column with each event's C line
    for life in result.references:
        events = life.events if path_id is None else life.on_path(path_id)
        leaked = any(ev.kind.value == "leaked" for ev in events)
        title = (f"ref id={life.ref_id} ({life.kind}) acquired by {life.acquired_by} at insn "
                 f"{life.acquired_at}" + (" — LEAKED" if leaked else ""))
        rows = [tag("tr", td(e(ev.insn), MONO + "text-align:right;")
                    + td(e(f"path {ev.path_id}"), MUTED) + td(e(ev.kind.value))
                    + td(e(ev.where), MONO) + td(e(ev.detail), MONO + MUTED)
                    + (td(c_line_html(_c_line(prog, ev.insn), element="span")) if has_c
                       else ""),
                    cls=f"kfunclab-ref-event kfunclab-ref-{ev.kind.name.lower()}",
                    data_insn=ev.insn)
                for ev in events]
        head = ("insn", "path", "event", "where", "detail") + (("C source",) if has_c else ())
        body = (table(head, rows) if rows else tag("div", "not on this path", style=MUTED))
        acquired = c_line_html(_c_line(prog, life.acquired_at))
        parts.append(tag("div", tag("div", e(title), style="font-weight:600;") + acquired + body,
                         cls="kfunclab-ref", data_ref=life.ref_id,
                         style=f"margin:4px 0;padding-left:6px;border-left:3px solid "
                               f"{'#c62828' if life.leaked else '#1a7f37'};"))
    return box("".join(parts), "kfunclab-refs")


def _c_line(prog: Program, insn: int | None) -> CLine | None:
    return c_line_of(prog, insn) if insn is not None and 0 <= insn < len(prog.insns) else None


def paths_with_refs(result: VerificationResult) -> tuple[int, ...]:
    """Ids of the paths on which some reference event happened, in order."""
    ids = {ev.path_id for life in result.references for ev in life.events}
    return tuple(p.id for p in result.paths if p.id in ids)


# --- rejected paths ----------------------------------------------------------------------------


def rejected_label(diag: Diagnostic, index: int) -> str:
    """``#1 · path 0 · insn 6 · BPF_EXIT instruction in main prog ...`` (shortened)."""
    where = f"insn {diag.insn}" if diag.insn is not None else "before exploring"
    msg = diag.message if len(diag.message) <= 60 else diag.message[:57] + "..."
    return f"#{index + 1} · path {diag.path_id} · {where} · {msg}"


def render_rejected(result: VerificationResult, index: int) -> str:
    """Rejected path number ``index`` (of ``result.rejected``): its message with context, and
    the listing with that path tinted and its failing instruction marked."""
    if not result.rejected:
        return box(tag("div", "No rejected path: the program was accepted.", style=MUTED),
                   "kfunclab-rejected-view")
    if not 0 <= index < len(result.rejected):
        raise ExplorerError(f"rejected paths are 0..{len(result.rejected) - 1}, not {index}")
    diag = result.rejected[index]
    note = ""
    if len(result.rejected) == 1 and len(result.rejected_paths()) <= 1 and result.paths and \
            any(p.end.value == "dead" for p in result.paths):
        note = tag("div", "The verifier stopped at this path; verify with collect_all=True "
                          "(%%bpf --all-errors) to see every failing path.", style=MUTED)
    return box(diagnostic_html(result, diag, title=f"rejected path {index + 1} of "
                                                   f"{len(result.rejected)}")
               + note + listing_html(result.program, failing=diag.insn, path=diag.path),
               "kfunclab-rejected-view")


# --- small pieces ------------------------------------------------------------------------------


def verdict_line(result: VerificationResult) -> str:
    """``accept`` or ``reject: insn 3: Possibly NULL pointer passed to trusted arg0``."""
    if result.accepted:
        return "accept"
    err = result.error
    return "reject" + (f": {err}" if err is not None else "")


def note_html(text: str, cls: str = "kfunclab-note") -> str:
    """A muted one-line note."""
    return tag("div", e(text), cls=cls, style=MUTED + CELL + "white-space:normal;")

