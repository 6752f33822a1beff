"""Lining up two verifier logs step by step: the kernel's and kfunclab's own walk.

Both logs are read with :func:`~kfunclab.logs.reader.read_log`; their steps are taken in the
order the verifier walked them and compared one by one: the instruction, then each register and
stack slot the kernel printed at that step, then the references held. The first difference is
what ``kfunclab verify --compare-log`` shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from kfunclab.logs.reader import LogResult


@dataclass(frozen=True, slots=True)
class StepDifference:
    """Where two walks first part: step number (0-based, across paths), path, insn, what."""

    step: int
    path_id: int
    insn: int | None
    what: str  # "insn", a register ("R3"), a slot ("fp-8"), "refs", "length", "error"
    kernel: str
    kfunclab: str
    kernel_line: int = 0  # the kernel log's line number of that step

    def __str__(self) -> str:
        where = f"insn {self.insn}" if self.insn is not None else "end"
        return (f"step {self.step} (path {self.path_id}, {where}, kernel log line "
                f"{self.kernel_line}): {self.what} differs\n  kernel:   {self.kernel}\n"
                f"  kfunclab: {self.kfunclab}")


def _flat(result: LogResult) -> list[tuple[int, int, object]]:
    return [(p.id, i, s) for p in result.paths for i, s in enumerate(p.steps)]


def compare_logs(kernel: LogResult, own: LogResult) -> StepDifference | None:
    """The first step where ``own`` differs from ``kernel``, or None if they agree throughout.

    >>> from kfunclab.logs.reader import read_log
    >>> a = read_log("0: (b7) r0 = 0                        ; R0=0\\n1: (95) exit")
    >>> b = read_log("0: (b7) r0 = 1                        ; R0=1\\n1: (95) exit")
    >>> compare_logs(a, b).what
    'R0'
    """
    ks, os_ = _flat(kernel), _flat(own)
    for n, ((pid, i, k), (_opid, _oi, o)) in enumerate(zip(ks, os_, strict=False)):
        line = kernel.step_lines.get((pid, i), 0)
        if k.insn != o.insn:
            return StepDifference(n, pid, k.insn, "insn", kernel.program_text(k.insn),
                                  own.program_text(o.insn), line)
        kr, orr = k.state.live_regs(), o.state.live_regs()
        kst, ost = k.state.stack_text(), o.state.stack_text()
        names = sorted(set(k.state.seen) | set(o.state.seen),
                       key=lambda s: (not s.startswith("R"), int(s[1:]) if s[0] == "R"
                                      else -int(s[2:])))
        for name in names:
            kv = (kr if name.startswith("R") else kst).get(name, "(not printed)")
            ov = (orr if name.startswith("R") else ost).get(name, "(not printed)")
            if kv != ov:
                return StepDifference(n, pid, k.insn, name, kv, ov, line)
        kref = ",".join(str(r.id) for r in k.state.refs)
        oref = ",".join(str(r.id) for r in o.state.refs)
        if kref != oref:
            return StepDifference(n, pid, k.insn, "refs", kref or "none", oref or "none", line)
    if len(ks) != len(os_):
        n = min(len(ks), len(os_))
        longer = ks if len(ks) > len(os_) else os_
        pid, i, step = longer[n]
        desc = f"{len(ks)} steps" if longer is ks else f"{len(os_)} steps"
        return StepDifference(n, pid, step.insn, "length",
                              desc if longer is ks else f"{len(ks)} steps",
                              desc if longer is os_ else f"{len(os_)} steps",
                              kernel.step_lines.get((pid, i), 0) if longer is ks else 0)
    kerr = kernel.error.message if kernel.error else "accept"
    oerr = own.error.message if own.error else "accept"
    if kerr != oerr:
        return StepDifference(len(ks), -1, kernel.error.insn if kernel.error else None, "error",
                              kerr, oerr)
    return None
