"""Notebook 12's exercise: read a kernel log and say what leaked, where, and on which branch.

The answer is a dict: ``{"ref": N, "acquired_at": INSN, "branch": (FROM, TO)}`` — the leaked
reference's id, the instruction that acquired it, and the ``from FROM to TO`` the failing path
started with. The truth is read from the log itself, never written down here.

>>> from kfunclab.logs import read_log, stored_log
>>> log = read_log(stored_log())
>>> bool(check_log_reading({"ref": 2, "acquired_at": 1, "branch": (15, 18)}, log))
False
"""

from __future__ import annotations

from collections.abc import Mapping

from kfunclab.exercises import Feedback
from kfunclab.logs.reader import LogResult

NAME = "reading_a_log"


def _truth(log: LogResult) -> tuple[int, int, tuple[int, int] | None]:
    leaked = next(life for life in log.references if life.leaked)
    rejected = log.path(log.error.path_id) if log.error else None
    branch = ((rejected.branch_insn, rejected.start_insn)
              if rejected is not None and rejected.branch_insn is not None else None)
    return leaked.ref_id, leaked.acquired_at, branch


def check_log_reading(answer: Mapping[str, object], log: LogResult) -> Feedback:
    """Check ``answer`` against what ``log`` shows (a log that ends in a reference leak)."""
    if not isinstance(answer, Mapping) or not {"ref", "acquired_at", "branch"} <= set(answer):
        return Feedback(NAME, False, 'answer with a dict: {"ref": N, "acquired_at": INSN, '
                                     '"branch": (FROM, TO)}')
    ref, acquired_at, branch = _truth(log)
    details = []
    lives = {life.ref_id: life for life in log.references}
    said_ref = answer["ref"]
    if said_ref is None:
        details.append("fill in the leaked reference's id (the N of ref_obj_id=N)")
    elif said_ref != ref:
        other = lives.get(said_ref)  # type: ignore[arg-type]
        if other is not None:
            fate = next((e for e in other.events if e.kind.value == "released"), None)
            details.append(f"ref id={said_ref} was given back at insn {fate.insn}: look for "
                           "the 'Unreleased reference id=N' line" if fate else
                           f"ref id={said_ref} is not the one the kernel names")
        else:
            details.append(f"no state of this log holds ref id={said_ref}: look at the "
                           "refs= lists and ref_obj_id= values")
    if answer["acquired_at"] != acquired_at:
        details.append("the acquiring instruction is the call whose state first shows the id in "
                       "refs= (the Unreleased line names it as alloc_insn)")
    said_branch = answer["branch"]
    if not isinstance(said_branch, (tuple, list)) or tuple(said_branch) != branch:
        details.append("the failing path is the last 'from X to Y:' before the error: X is the "
                       "jump whose other edge it took, Y where it went")
    if details:
        return Feedback(NAME, False, f"{3 - len(details)} of 3 right", tuple(details))
    return Feedback(NAME, True, f"right: ref id={ref} from insn {acquired_at} leaks on the path "
                                f"that took the jump at insn {branch[0]} to insn {branch[1]}")
