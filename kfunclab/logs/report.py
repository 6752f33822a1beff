"""Plain-text reports of a read log, for ``kfunclab log`` and ``verify --compare-log``.

>>> from kfunclab.logs.reader import read_log
>>> print(summary_text(read_log("0: (95) exit\\nR0 !read_ok\\nprocessed 1 insns (limit 1000000) "
...                             "max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0"),
...                    "x.log"))
x.log: reject at insn 0: R0 !read_ok
    level 1 log, 3 lines read, 1 paths, 1 insns processed, 0 states (peak 0)
"""

from __future__ import annotations

from kfunclab.logs.compare import compare_logs
from kfunclab.logs.reader import LogResult


def summary_text(result: LogResult, file: str) -> str:
    """The verdict, error, context, figures, references and unparsed lines of a read log."""
    out = []
    err = result.error
    if err is not None:
        where = f"at insn {err.insn}" if err.insn is not None else "before the walk"
        out.append(f"{file}: reject {where}: {err.message}")
        out += [f"    {line}" for line in err.context]
    elif result.truncated and not result.has_summary:
        out.append(f"{file}: verdict unknown (the log ends before the kernel's summary)")
    else:
        out.append(f"{file}: accept")
    s = result.stats
    out.append(f"    level {result.log_level} log, {len(result.lines)} lines read, "
               f"{len(result.paths)} paths, {s.processed_insns} insns processed, "
               f"{s.total_states} states (peak {s.peak_states})")
    for life in result.references:
        fate = "leaked" if life.leaked else ", ".join(dict.fromkeys(
            e.kind.value for e in life.events if e.kind.value in ("released", "passed")))
        out.append(f"    ref id={life.ref_id} acquired at insn {life.acquired_at} by "
                   f"{life.acquired_by}: {fate or 'held'}")
    out += [f"    note: {note}" for note in result.notes]
    if result.unparsed:
        out.append(f"    {len(result.unparsed)} line(s) not understood:")
        out += [f"      line {n}: {text}" for n, text in result.unparsed[:20]]
        if len(result.unparsed) > 20:
            out.append(f"      ({len(result.unparsed) - 20} more)")
    return "\n".join(out)


def compare_text(kernel: LogResult, own: LogResult, kernel_file: str, program_file: str) -> str:
    """Where kfunclab's walk of ``program_file`` first parts from the kernel's log."""
    diff = compare_logs(kernel, own)
    if diff is None:
        steps = sum(len(p.steps) for p in kernel.paths)
        return (f"{program_file}: kfunclab's walk matches {kernel_file} at all {steps} steps "
                f"(verdict {kernel.verdict.value}, "
                f"{kernel.stats.processed_insns} insns processed)")
    return f"{program_file} against {kernel_file}: first difference at {diff}"
