"""References a log shows: acquired, copied, NULL-checked, passed, released, leaked.

The log never says "acquired" or "released"; it shows ``refs=2,5`` after each instruction and
``ref_obj_id=N`` in the registers that hold a reference. Comparing the state before and after
each step tells what happened, the way kfunclab's own recorder reports it:

- an id new in ``refs`` after a call: acquired (by the called function, into R0 or a slot);
- a register or slot that newly holds the id after a move, spill or fill: copied/spilled/filled;
- a jump after which a holder is no longer ``ptr_or_null``: NULL-checked; a branch that starts
  without the id: NULL on this branch;
- a call with the id in R1-R5: passed; if the id is gone after it: released;
- ``Unreleased reference id=N alloc_insn=M`` before the error: leaked.
"""

from __future__ import annotations

from collections.abc import Sequence

from kfunclab.isa.insn import Alu, AluOp, Call, Jump, Load, Store
from kfunclab.isa.program import Program
from kfunclab.logs.lines import LogLine
from kfunclab.logs.states import LogSnapshot, ref_ids_in
from kfunclab.verifier.result import (
    Diagnostic,
    ExploredPath,
    RefEvent,
    RefEventKind,
    RefLifetime,
)


def _holders(state: object) -> dict[str, set[int]]:
    """``{"R0": {2}, "fp-8": {5}}``: which register/slot holds which reference ids."""
    assert isinstance(state, LogSnapshot)
    out = {}
    for name, value in state.regs + state.stack_values:
        ids = ref_ids_in(value)
        if ids:
            out[name] = ids
    return out


def _ids(state: object) -> set[int]:
    return {r.id for r in getattr(state, "refs", ())}


def _call_name(program: Program, insn: int) -> str:
    ins = program.insns[insn] if insn < len(program.insns) else None
    if isinstance(ins, Call):
        return ins.name or f"call {ins.imm}"
    return "?"


def _step_events(program: Program, path_id: int, insn: int, before: LogSnapshot,
                 after: LogSnapshot, acquired: dict[int, tuple[int, str, str]]
                 ) -> list[tuple[int, RefEvent]]:
    ins = program.insns[insn] if insn < len(program.insns) else None
    held_before, held_after = _holders(before), _holders(after)
    ids_before, ids_after = _ids(before), _ids(after)
    out: list[tuple[int, RefEvent]] = []

    def add(ref: int, kind: RefEventKind, where: str = "") -> None:
        out.append((ref, RefEvent(kind, insn, path_id, where)))

    for ref in sorted(ids_after - ids_before):
        where = next((k for k, v in held_after.items() if ref in v), "")
        acquired.setdefault(ref, (insn, _call_name(program, insn), where))
        add(ref, RefEventKind.ACQUIRED, where)
    if isinstance(ins, Call):
        for r in range(1, 6):
            for ref in sorted(held_before.get(f"R{r}", set()) & ids_before):
                add(ref, RefEventKind.PASSED, f"R{r}")
                if ref not in ids_after:
                    add(ref, RefEventKind.RELEASED, f"R{r}")
        return out
    for name, ids in held_after.items():
        for ref in sorted(ids & ids_before & ids_after):
            if ref in held_before.get(name, set()) and not isinstance(ins, Jump):
                continue
            if isinstance(ins, Jump):
                was = dict(before.regs).get(name, "") + dict(before.stack_values).get(name, "")
                now = dict(after.regs).get(name, "") + dict(after.stack_values).get(name, "")
                if name == f"R{ins.dst}" and "_or_null_" in was and "_or_null_" not in now:
                    add(ref, RefEventKind.NULL_CHECKED, name)
            elif isinstance(ins, Alu) and ins.op is AluOp.MOV:
                add(ref, RefEventKind.COPIED, name)
            elif isinstance(ins, Store) and name.startswith("fp"):
                add(ref, RefEventKind.SPILLED, name)
            elif isinstance(ins, Load) and name.startswith("R"):
                add(ref, RefEventKind.FILLED, name)
    for ref in sorted(ids_before - ids_after):
        add(ref, RefEventKind.RELEASED)
    return out


def lifetimes(paths: Sequence[ExploredPath], program: Program,
              unreleased: Sequence[LogLine], error: Diagnostic | None) -> tuple[RefLifetime, ...]:
    """Every reference id the log's states mention, with its events in walk order."""
    acquired: dict[int, tuple[int, str, str]] = {}
    events: dict[int, list[RefEvent]] = {}
    by_id = {p.id: p for p in paths}
    for path in paths:
        before = path.start_state
        if path.parent is not None and path.branch_insn is not None and path.start_state.regs:
            parent = by_id[path.parent]
            at = [s for s in parent.steps if s.insn == path.branch_insn]
            if at:
                for ref in sorted(_ids(at[-1].state) - _ids(path.start_state)):
                    events.setdefault(ref, []).append(RefEvent(
                        RefEventKind.NULL_BRANCH, path.branch_insn, path.id))
        for step in path.steps:
            if not isinstance(before, LogSnapshot) or not isinstance(step.state, LogSnapshot):
                continue
            for ref, event in _step_events(program, path.id, step.insn, before, step.state,
                                           acquired):
                events.setdefault(ref, []).append(event)
            before = step.state
    for line in unreleased:
        ref, alloc = line.fields["ref"], line.fields["alloc"]
        acquired.setdefault(ref, (alloc, _call_name(program, alloc), ""))
        events.setdefault(ref, []).append(RefEvent(
            RefEventKind.LEAKED, error.insn if error and error.insn is not None else alloc,
            error.path_id if error else 0, "", line.text))
    out = []
    for ref in sorted(events):
        insn, origin, _where = acquired.get(ref, (-1, "?", ""))
        out.append(RefLifetime(ref, insn, origin, "ptr", tuple(events[ref])))
    return tuple(out)
