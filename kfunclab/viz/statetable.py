"""The verifier state at one instruction of one path, as a table.

Registers R0–R10 and the stack slots in use, written as the kernel log writes them
(``ptr_cgroup(ref_obj_id=2)``, ``fp-8=mmmmmmmm``), then the references the path holds and its
RCU / preemption / IRQ state. Registers that changed at this instruction are marked, and those
holding a reference are coloured, so a reader sees at a glance what the instruction did.

>>> from kfunclab.verifier import verify_text
>>> result = verify_text('# SEC("xdp")\\n r0 = 2\\n exit\\n')
>>> rows = state_rows(result, insn=0)
>>> [(r.name, r.value) for r in rows[1:3]]
[('R0', '2'), ('R1', 'ctx()')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kfunclab.verifier.result import VerificationResult
from kfunclab.verifier.state import RefKind, Snapshot
from kfunclab.viz import style
from kfunclab.viz.layout import CHAR_WIDTH
from kfunclab.viz.paths import Position, ViewError, default_path_id, full_path
from kfunclab.viz.text import insn_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_REF = re.compile(r"ref_(?:obj_)?id=(\d+)")
ROW_H = 13.0


@dataclass(frozen=True, slots=True)
class StateRow:
    """One line of the table: a section title (``section`` set, no value) or a name and value."""

    name: str
    value: str = ""
    section: bool = False
    changed: bool = False  # differs from the state before this instruction
    holds_ref: bool = False  # the value carries a ref_obj_id / ref_id
    muted: bool = False  # not initialised / not held


def pick_position(result: VerificationResult, insn: int | None = None, *,
                  path_id: int | None = None, step: int | None = None
                  ) -> tuple[int, int, tuple[Position, ...]]:
    """``(path_id, index on the path, positions)`` for a table: ``step`` counts processed
    instructions from the entry; ``insn`` picks that instruction's last visit on the path;
    neither: the path's last instruction (for a rejected path, the failing one)."""
    pid = default_path_id(result) if path_id is None else path_id
    positions = full_path(result, pid)
    if not positions:
        raise ViewError(f"path #{pid} processed no instructions (pruned where it started?)")
    if step is not None:
        if not -len(positions) <= step < len(positions):
            raise ViewError(f"step {step} is not on path #{pid} (0..{len(positions) - 1})")
        return pid, step % len(positions), positions
    if insn is not None:
        hits = [k for k, p in enumerate(positions) if p.insn == insn]
        if not hits:
            on = sorted({p.insn for p in positions})
            raise ViewError(f"insn {insn} is not on path #{pid} (it processed {on})")
        return pid, hits[-1], positions
    return pid, len(positions) - 1, positions


def state_rows(result: VerificationResult, insn: int | None = None, *,
               path_id: int | None = None, step: int | None = None) -> tuple[StateRow, ...]:
    """The table's rows (no matplotlib); see :func:`draw_state_table`."""
    _, k, positions = pick_position(result, insn, path_id=path_id, step=step)
    state = positions[k].state
    before = positions[k - 1].state if k else None
    return _rows(state, before)


def _rows(state: Snapshot, before: Snapshot | None) -> tuple[StateRow, ...]:
    regs = state.live_regs()
    old_regs = before.live_regs() if before is not None else {}
    rows = [StateRow("registers", section=True)]
    for i in range(11):
        name = f"R{i}"
        value = regs.get(name)
        rows.append(StateRow(name, value if value is not None else "not init",
                             changed=before is not None and old_regs.get(name) != value,
                             holds_ref=bool(value and _REF.search(value)), muted=value is None))
    stack = state.stack_text()
    old_stack = before.stack_text() if before is not None else {}
    rows.append(StateRow("stack", section=True))
    if not stack:
        rows.append(StateRow("", "(no stack slot written)", muted=True))
    for slot, text in stack.items():
        rows.append(StateRow(slot, text, changed=before is not None and old_stack.get(slot) != text,
                             holds_ref=bool(_REF.search(text))))
    rows.append(StateRow("references held", section=True))
    if not state.refs:
        rows.append(StateRow("", "none", muted=True))
    for ref in state.refs:
        origin = f" from {ref.origin}" if ref.origin else ""
        kind = "" if ref.kind is RefKind.PTR else f" ({ref.kind.value})"
        rows.append(StateRow(f"id={ref.id}", f"acquired at insn {ref.insn}{origin}{kind}",
                             holds_ref=True))
    rows.append(StateRow("locks and context", section=True))
    rows += [
        StateRow("RCU", "in bpf_rcu_read_lock() section" if state.active_rcu_lock
                 else "not in an RCU read section", muted=not state.active_rcu_lock),
        StateRow("preempt", f"disabled ({state.active_preempt_locks} bpf_preempt_disable)"
                 if state.active_preempt_locks else "enabled",
                 muted=not state.active_preempt_locks),
        StateRow("IRQ", f"disabled (irq flag ref id={state.active_irq_id})"
                 if state.active_irq_id else "enabled", muted=not state.active_irq_id),
    ]
    if state.depth > 1:
        rows.append(StateRow("frame", f"{state.frameno} (call depth {state.depth})"))
    return tuple(rows)


def draw_state_table(result: VerificationResult, insn: int | None = None, *,
                     path_id: int | None = None, step: int | None = None) -> Figure:
    """The register and stack table right after one instruction of one path.

    Parameters
    ----------
    insn : int, optional
        The instruction (its last visit on the path). Default: the path's last instruction.
    path_id : int, optional
        An explored path; default the rejected one, else the longest.
    step : int, optional
        Instead of ``insn``: the position on the path, 0 being the entry (negative counts from
        the end).
    """
    pid, k, positions = pick_position(result, insn, path_id=path_id, step=step)
    pos = positions[k]
    rows = _rows(pos.state, positions[k - 1].state if k else None)
    program = result.program
    seg = result.path(pid)
    failing = seg.error is not None and k == len(positions) - 1
    # a rejected instruction did not finish: the state is the one it was rejected in
    when = "rejecting" if failing else "after"
    title = f"{when} insn {pos.insn}: {insn_text(program, pos.insn)}"
    sub = f"path #{pid}, step {k} of {len(positions) - 1}" + (
        f"  ·  rejected here: {seg.error.message}" if failing and seg.error else "")
    name_w = max(len(r.name) for r in rows if not r.section) + 2
    chars = max([name_w + len(r.value) + 2 for r in rows] + [len(title) * 1.2, len(sub)])
    width = chars * CHAR_WIDTH * style.FONT_SIZE + 24
    height = 52 + len(rows) * ROW_H + 24
    fig = style.new_figure(width, height)
    ax = style.point_axes(fig, (0, 0, 1, 1), (0, width), (0, height))
    ax.text(10, 8, title, fontsize=style.FONT_SIZE + 1.5, weight="bold", va="top",
            family=style.MONO)
    ax.text(10, 26, sub, fontsize=style.FONT_SIZE, va="top", family=style.MONO,
            color=style.REJECTED if failing else style.HEADER)
    _draw_rows(ax, rows, top=50.0, name_x=10.0,
               value_x=10 + name_w * CHAR_WIDTH * style.FONT_SIZE, width=width)
    ax.text(10, height - 8, "bold on yellow: changed by this instruction;  blue: holds a reference",
            fontsize=style.SMALL, color=style.MUTED, va="bottom")
    return fig


def _draw_rows(ax: object, rows: tuple[StateRow, ...], *, top: float, name_x: float,
               value_x: float, width: float) -> None:
    from matplotlib.patches import Rectangle

    y = top
    for row in rows:
        mid = y + ROW_H / 2
        if row.section:
            ax.text(name_x, mid + 1, row.name, fontsize=style.FONT_SIZE, weight="bold",
                    va="center", color=style.HEADER)
            ax.plot([name_x, width - 10], [y + ROW_H - 1, y + ROW_H - 1], color="#cccccc",
                    lw=0.6)
        else:
            if row.changed:
                ax.add_artist(Rectangle((name_x - 3, y + 1), width - name_x - 7, ROW_H - 2,
                                       fc="#fff3bf", ec="none", zorder=0))
            colour = style.MUTED if row.muted else (style.HELD if row.holds_ref else "black")
            weight = "bold" if row.changed else "normal"
            ax.text(name_x, mid, row.name, fontsize=style.FONT_SIZE, family=style.MONO,
                    va="center", color=style.HEADER, weight=weight)
            ax.text(value_x, mid, row.value, fontsize=style.FONT_SIZE, family=style.MONO,
                    va="center", color=colour, weight=weight)
        y += ROW_H
