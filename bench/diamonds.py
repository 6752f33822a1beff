"""Issue 3 benchmark: N if-diamonds whose sum reaches a ``__k`` argument, so pruning cannot help.

The program draws one random number, then for each bit i of it runs a diamond that adds 2^i to
r7 when the bit is set, and finally passes ``(r7 & 1) * id(struct cgroup) + 0`` as the constant
``__k`` argument of ``bpf_rdonly_cast`` (0, void, or struct cgroup's BTF id, written
``bpf_core_type_id_kernel(struct cgroup)`` so the program holds on every kernel build)::

    r7 = 0
    call bpf_get_prandom_u32
    r6 = r0
    r1 = r6                      # diamond i, for i in 0 .. N-1
    r1 >>= i
    r1 &= 1
    if r1 == 0 goto skip_i
    r7 += 2^i
  skip_i:
    r7 &= 1                      # epilogue
    r7 *= bpf_core_type_id_kernel(struct cgroup)
    r7 += 0                      # keeps the epilogue's shape (and the counts) of the table
    r1 = 0
    r2 = r7
    call bpf_rdonly_cast
    r0 = 0
    exit

``__k`` makes the verifier mark r2 precise, and backtracking carries that to r7 and through
every ``r7 += 2^i``, so each checkpoint's r7 is precise and no two paths (2^N distinct r7
values) are ever pruned together. Linux 6.18 processes 12 * 2^N - 1 instructions for even N
(+1 for odd N): 786,431 with 65,536 states at N=16, and it stops at N=20 with "BPF program is
too large. Processed 1000001 insn". The shape (one random number, shift and mask) was chosen so
that these counts come out exactly; a ``call bpf_get_prandom_u32`` per diamond, for instance,
makes every call a prune point and gives other state counts.

Run ``python bench/diamonds.py`` (as root for the kernel's column) to print the table of
kfunclab's and the kernel's counts and times; ``--readme`` rewrites the table in
``bench/README.md``.

>>> text = diamond_program(2)
>>> text.splitlines()[0]
'# SEC("syscall")'
>>> program_insn_count(2)
21
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

#: ``r7 = 0``, ``call bpf_get_prandom_u32``, ``r6 = r0``
PROLOGUE_INSNS = 3
#: ``r1 = r6``, ``r1 >>= i``, ``r1 &= 1``, ``if r1 == 0 goto``, ``r7 += 2^i``
DIAMOND_INSNS = 5
#: ``r7 &= 1`` ... ``exit``
EPILOGUE_INSNS = 8
#: ``r7 += 2^i`` takes a signed 32-bit immediate, so 2^30 is the largest addend.
MAX_DIAMONDS = 31
#: The table's default range of N.
DEFAULT_NS = tuple(range(8, 21))
#: Seconds one kfunclab measurement may take before the table says "timeout".
DEFAULT_TIMEOUT = 600.0

README = Path(__file__).with_name("README.md")
TABLE_BEGIN = "<!-- diamonds-table: begin (written by bench/diamonds.py --readme) -->"
TABLE_END = "<!-- diamonds-table: end -->"


def diamond_program(n: int, section: str = "syscall") -> str:
    """The assembly text of the ``n``-diamond benchmark program (see the module docstring).

    ``section`` must name a program type that may call ``bpf_rdonly_cast`` (syscall, tracing,
    ...). Raises ValueError for ``n`` outside 1..31.

    >>> print(diamond_program(1))  # doctest: +ELLIPSIS
    # SEC("syscall")
    # bench/diamonds.py: 1 if-diamond(s); precision on __k makes the verifier walk 2^1 paths
        r7 = 0
        call bpf_get_prandom_u32
        r6 = r0
        r1 = r6
        r1 >>= 0
        r1 &= 1
        if r1 == 0 goto skip_0
        r7 += 1
    skip_0:
        r7 &= 1
    ...
    """
    if not 1 <= n <= MAX_DIAMONDS:
        raise ValueError(f"diamond count must be 1..{MAX_DIAMONDS} (r7 += 2^i takes an imm32), "
                         f"got {n}")
    lines = [
        f'# SEC("{section}")',
        f"# bench/diamonds.py: {n} if-diamond(s); precision on __k makes the verifier walk "
        f"2^{n} paths",
        "    r7 = 0",
        "    call bpf_get_prandom_u32",
        "    r6 = r0",
    ]
    for i in range(n):
        lines += [
            "    r1 = r6",
            f"    r1 >>= {i}",
            "    r1 &= 1",
            f"    if r1 == 0 goto skip_{i}",
            f"    r7 += {1 << i}",
            f"skip_{i}:",
        ]
    lines += [
        "    r7 &= 1",
        "    r7 *= bpf_core_type_id_kernel(struct cgroup)",
        "    r7 += 0  # keeps the shape of the table's epilogue",
        "    r1 = 0",
        "    r2 = r7  # __k: 0 (void) or struct cgroup's BTF id, precise",
        "    call bpf_rdonly_cast",
        "    r0 = 0",
        "    exit",
    ]
    return "\n".join(lines) + "\n"


def program_insn_count(n: int) -> int:
    """Instructions in :func:`diamond_program` ``(n)``.

    >>> program_insn_count(16)
    91
    """
    return PROLOGUE_INSNS + DIAMOND_INSNS * n + EPILOGUE_INSNS


@dataclass(frozen=True, slots=True)
class Measure:
    """One verifier's answer on one program: verdict, the summary line's counters, times.

    ``cpu_s`` is the process CPU time (kfunclab only); ``inside_s`` is the kernel's own
    ``verification time`` (its log at BPF_LOG_STATS).
    """

    verdict: str
    processed: int | None
    total_states: int | None
    peak_states: int | None
    max_states_per_insn: int | None
    wall_s: float
    cpu_s: float | None = None
    inside_s: float | None = None


def measure_ours(n: int, log_level: int = 0) -> Measure:
    """Verify the ``n``-diamond program with kfunclab (no step recording) and time it.

    Reading BTF and the kfunc catalogue (once per process) is done before the clock starts.
    """
    from kfunclab.isa.parser import parse_program
    from kfunclab.verifier import verify

    verify(parse_program(diamond_program(1), "warmup.s"), log_level=0, max_recorded_steps=0)
    program = parse_program(diamond_program(n), f"diamonds{n}.s")
    cpu = time.process_time()
    wall = time.perf_counter()
    result = verify(program, log_level=log_level, max_recorded_steps=0)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    s = result.stats
    return Measure(result.verdict.value, s.processed_insns, s.total_states, s.peak_states,
                   s.max_states_per_insn, wall, cpu)


def measure_ours_isolated(n: int, log_level: int = 0,
                          timeout: float = DEFAULT_TIMEOUT) -> Measure:
    """:func:`measure_ours` in a fresh interpreter: no caches carried over from smaller N, and a
    run slower than ``timeout`` seconds comes back as verdict ``"timeout"``."""
    cmd = [sys.executable, os.path.abspath(__file__), "--measure-ours", str(n),
           "--log-level", str(log_level)]
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Measure("timeout", None, None, None, None, time.perf_counter() - start)
    if done.returncode != 0:
        raise RuntimeError(f"measuring N={n} failed:\n{done.stderr}")
    return Measure(**json.loads(done.stdout.strip().splitlines()[-1]))


_VERIFICATION_TIME = re.compile(r"verification time (\d+) usec")


def measure_kernel(n: int) -> Measure:
    """Load the ``n``-diamond program into the live kernel (load only) and time it.

    The log level is 4 (BPF_LOG_STATS): the summary line and the verification time, without
    the per-instruction printing of levels 1 and 2 that would slow the kernel down.
    """
    from kfunclab.isa.parser import parse_program
    from kfunclab.kernel import kernel_verdict

    program = parse_program(diamond_program(n), f"diamonds{n}.s")
    wall = time.perf_counter()
    answer = kernel_verdict(program, log_level=4)
    wall = time.perf_counter() - wall
    found = _VERIFICATION_TIME.search(answer.log)
    return Measure(answer.verdict, answer.processed_insns, answer.total_states,
                   answer.peak_states, answer.max_states_per_insn, wall,
                   inside_s=int(found.group(1)) / 1e6 if found else None)


def _num(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_table(rows: Sequence[tuple[int, Measure, Measure | None]]) -> str:
    """A Markdown table: per N, kfunclab's and the kernel's counters and times, and whether
    the counters agree.

    >>> m = Measure("accept", 47, 4, 4, 1, 0.01, 0.01)
    >>> print(format_table([(2, m, m)]).splitlines()[2])
    | 2 | accept | 47 | 4 | 4 | 1 | 0.010 | 0.010 | accept | 47 | 4 | 4 | 1 | 0.010 | - | yes |
    """
    head = ("| N | ours | processed | total_states | peak_states | max/insn | wall s | cpu s "
            "| kernel | processed | total_states | peak_states | max/insn | wall s "
            "| verif. time s | equal |")
    rule = "|" + "---|" * (head.count("|") - 1)
    lines = [head, rule]
    for n, ours, kern in rows:
        cells = [str(n), ours.verdict, _num(ours.processed), _num(ours.total_states),
                 _num(ours.peak_states), _num(ours.max_states_per_insn), _secs(ours.wall_s),
                 _secs(ours.cpu_s)]
        if kern is None:
            cells += ["-"] * 7 + ["(no kernel)"]
        else:
            same = _counters(ours) == _counters(kern) and ours.verdict == kern.verdict
            cells += [kern.verdict, _num(kern.processed), _num(kern.total_states),
                      _num(kern.peak_states), _num(kern.max_states_per_insn),
                      _secs(kern.wall_s), _secs(kern.inside_s),
                      "(timeout)" if ours.verdict == "timeout" else "yes" if same else "**NO**"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _counters(m: Measure) -> tuple[int | None, ...]:
    return (m.processed, m.total_states, m.peak_states, m.max_states_per_insn)


def environment() -> str:
    """Machine, kernel, Python and date, for the table's caption."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [line.split(":", 1)[1].strip() for line in info
                     if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{datetime.date.today().isoformat()}; {cpu}, {os.cpu_count()} CPUs (load average "
            f"{load} at the end of the run); Linux {platform.release()}; Python "
            f"{platform.python_version()} ({platform.python_implementation()})")


def update_readme(table: str, caption: str, path: Path = README) -> None:
    """Replace the text between the table markers of ``path`` (append them if missing)."""
    block = f"{TABLE_BEGIN}\n{caption}\n\n{table}\n{TABLE_END}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if TABLE_BEGIN in text and TABLE_END in text:
        start = text.index(TABLE_BEGIN)
        end = text.index(TABLE_END) + len(TABLE_END)
        text = text[:start] + block + text[end:]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ns", nargs="*", type=int, help="diamond counts (default 8..20)")
    parser.add_argument("--no-kernel", action="store_true", help="skip the live kernel")
    parser.add_argument("--readme", action="store_true", help=f"write the table into {README}")
    parser.add_argument("--log-level", type=int, default=0,
                        help="kfunclab's log level (default 0: no log, as fast as it gets)")
    parser.add_argument("--write", type=Path, metavar="DIR", help="also write diamondsN.s files")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds per kfunclab run before giving up on it (default 600)")
    parser.add_argument("--measure-ours", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_ours is not None:  # the child of measure_ours_isolated()
        print(json.dumps(asdict(measure_ours(args.measure_ours, args.log_level))))
        return 0
    ns = args.ns or list(DEFAULT_NS)
    use_kernel = not args.no_kernel
    if use_kernel:
        from kfunclab.kernel import kernel_available

        ok, why = kernel_available()
        if not ok:
            print(f"live kernel not asked: {why}", file=sys.stderr)
            use_kernel = False
    if use_kernel:
        measure_kernel(1)  # warm up: the live BTF is read once per process
    rows: list[tuple[int, Measure, Measure | None]] = []
    for n in ns:
        if args.write:
            args.write.mkdir(parents=True, exist_ok=True)
            (args.write / f"diamonds{n}.s").write_text(diamond_program(n), encoding="utf-8")
        kern = measure_kernel(n) if use_kernel else None
        ours = measure_ours_isolated(n, args.log_level, args.timeout)
        rows.append((n, ours, kern))
        print(f"N={n}: ours {ours.verdict} {_num(ours.processed)} insns {ours.wall_s:.2f}s; "
              f"kernel {kern.verdict + ' ' + _num(kern.processed) if kern else '-'}",
              file=sys.stderr, flush=True)
    table = format_table(rows)
    import kfunclab

    caption = f"{environment()}; kfunclab from {os.path.dirname(kfunclab.__file__)}"
    print(caption)
    print()
    print(table)
    if args.readme:
        update_readme(table, caption)
    return 0 if all(k is None or _counters(o) == _counters(k) for _, o, k in rows) else 1


if __name__ == "__main__":
    # measure the checkout this script is in, not whichever kfunclab is installed
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
