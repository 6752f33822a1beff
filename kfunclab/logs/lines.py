"""Classifying the lines of a kernel verifier log (the 6.18 format, levels 1 and 2).

Each line becomes a :class:`LogLine` with a :class:`LineKind` and the fields that kind carries.
A line of no known kind is ``TEXT``: the reader keeps it, and the last such line before the
summary is the kernel's error message.

>>> classify(3, "2: (15) if r0 == 0x0 goto pc+14       ; R0=ptr_cgroup(ref_obj_id=2) refs=2").kind
<LineKind.INSN: 'insn'>
>>> classify(9, "from 14 to 17: R7=ptr_cgroup(ref_obj_id=5) R10=fp0 refs=5").fields["to"]
17
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from kfunclab.logs.states import looks_like_state


class LineKind(Enum):
    FUNC = "func"  # func#1 @12: a subprogram starts at insn 12
    LIVE_HEADER = "live-header"  # Live regs before insn:
    LIVE_ROW = "live-row"  #       3: 0......... (bf) r8 = r0
    VALIDATING = "validating"  # Validating foo() func#1...
    INSN = "insn"  # 3: (bf) r8 = r0   [; R0=... state after it]
    STATE = "state"  # 17: R7=... (a state with no instruction)
    FROM = "from"  # from 14 to 17: R7=...
    FROM_SAFE = "from-safe"  # from 15 to 18: safe
    SAFE = "safe"  # 17: safe
    PRECISE = "precise"  # mark_precise: frame0: ...
    SOURCE = "source"  # ; r0 = 0; @ prog.c:12
    UNRELEASED = "unreleased"  # Unreleased reference id=5 alloc_insn=8
    SUMMARY = "summary"  # processed 21 insns (limit 1000000) ...
    STACK_LIVE = "stack-live"  # (0) frame 0 insn 14 +live -8,-16 / (0) live stack update done
    SCC = "scc"  # SCC enter (3) / SCC exit / SCC backedge
    PROPAGATE = "propagate"  # frame 0: propagating r6
    CALLS = "calls"  # caller: / callee: / returning from callee: / to caller at 12:
    CALL_STATE = "call-state"  # " frame1: R1=5 R10=fp0": the state under a CALLS header
    STATE_DUMP = "state-dump"  # cur state: / old state: (after "infinite loop detected")
    INFO = "info"  # btf_ctx_access()/btf_check_func_arg_match() notes, not errors
    #: btf_prepare_func_args() notes: only an error when nothing follows (then the last line)
    NOTE = "note"
    STATS = "stats"  # verification time 12 usec / stack depth 16
    BLANK = "blank"
    TEXT = "text"  # anything else: an error message or a line kfunclab cannot read


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of a log: its 1-based number, kind, text and parsed fields."""

    number: int
    kind: LineKind
    text: str
    fields: dict = field(default_factory=dict)


_SUMMARY = re.compile(r"processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) "
                      r"total_states (\d+) peak_states (\d+) mark_read (\d+)")
_INSN = re.compile(r"(\d+): (\([0-9a-f]{2}\) .*|<invalid kfunc call>)$")
_STATE = re.compile(r"(\d+):((?: .*)?)$")
_PATTERNS: tuple[tuple[LineKind, re.Pattern[str]], ...] = (
    (LineKind.FUNC, re.compile(r"func#(?P<func>\d+) @(?P<start>\d+)$")),
    (LineKind.LIVE_HEADER, re.compile(r"Live regs before insn:$")),
    (LineKind.LIVE_ROW, re.compile(r" +(?:(?P<scc>\d+) +)?(?P<insn>\d+): (?P<live>[.0-9]{10}) "
                                   r"(?P<text>\(.*)$")),
    (LineKind.VALIDATING, re.compile(r"Validating (?P<name>\S+)\(\) func#(?P<func>\d+)\.\.\.$")),
    (LineKind.FROM_SAFE, re.compile(r"from (?P<frm>\d+) to (?P<to>\d+): safe$")),
    (LineKind.FROM, re.compile(r"from (?P<frm>\d+) to (?P<to>\d+):(?P<state>.*)$")),
    (LineKind.SAFE, re.compile(r"(?P<insn>\d+): safe$")),
    (LineKind.PRECISE, re.compile(r"mark_precise: frame(?P<frame>\d+): (?P<what>.*)$")),
    (LineKind.SOURCE, re.compile(r"; (?P<source>.*) @ (?P<file>\S+):(?P<line>\d+)$")),
    (LineKind.UNRELEASED, re.compile(r"Unreleased reference id=(?P<ref>\d+) "
                                     r"alloc_insn=(?P<alloc>\d+)$")),
    (LineKind.STACK_LIVE, re.compile(r"\([\d,]+\) (?:frame \d+ insn \d+ [+-](?:live|written)\b.*"
                                     r"|live stack update done in \d+ iterations)\s*$")),
    (LineKind.SCC, re.compile(r"SCC (?:enter|exit|backedge) \([\d,]+\)$")),
    (LineKind.PROPAGATE, re.compile(r"frame \d+: propagating .*$")),
    # check_helper_call(): bpf_loop stops pushing its callback at nr_loops (level 2)
    (LineKind.INFO, re.compile(r"frame\d+ bpf_loop iteration limit reached$")),
    (LineKind.CALLS, re.compile(r"(?P<head>caller|callee|returning from callee):$"
                                r"|to caller at (?P<at>\d+):$")),
    (LineKind.STATE_DUMP, re.compile(r"(?:cur|old) state:(?P<state>.*)$")),
    (LineKind.INFO, re.compile(r"func '\w+' arg\d+ has btf_id \d+ type \w+ '\w+'$"
                               r"|Func#\d+ \('\w+'\) is (?:global and assumed valid\."
                               r"|safe for any args that match its prototype)$"
                               r"|arg#\d+ reference type\('.*'\) size cannot be determined: "
                               r"-\d+$")),
    (LineKind.NOTE, re.compile(r"Global function \w+\(\) doesn't return scalar\. "
                               r"Only those are supported\.$")),
    (LineKind.STATS, re.compile(r"(?:verification time \d+ usec|stack depth [\d+]+)\s*$")),
)


def classify(number: int, text: str) -> LogLine:
    """The :class:`LogLine` of one line of text (without its newline)."""
    if not text.strip():
        return LogLine(number, LineKind.BLANK, text)
    found = _SUMMARY.search(text)
    if found:
        names = ("processed_insns", "max_states_per_insn", "total_states", "peak_states",
                 "mark_read")
        fields = dict(zip(names, (int(g) for g in found.groups()), strict=True))
        if found.start() == 0:
            return LogLine(number, LineKind.SUMMARY, text, fields)
        # a message the kernel ended without a newline runs into the summary: the line is the
        # error (kernel/verdict.py's rule) and still carries the figures
        return LogLine(number, LineKind.TEXT, text, {"summary": fields})
    if text.startswith("mark_precise: frame"):  # most lines of a big log: no regex tour
        frame, _, what = text[19:].partition(": ")
        if frame.isdigit():
            return LogLine(number, LineKind.PRECISE, text, {"frame": int(frame), "what": what})
    for kind, pattern in _PATTERNS:
        found = pattern.match(text)
        if found:
            fields = {k: int(v) if v and v.isdigit() else v for k, v in found.groupdict().items()}
            return LogLine(number, kind, text, fields)
    if text.startswith(" ") and looks_like_state(text):
        return LogLine(number, LineKind.CALL_STATE, text, {"state": text})
    found = _INSN.match(text)
    if found:
        return _insn_line(number, text, int(found.group(1)), found.group(2))
    found = _STATE.match(text)
    if found and looks_like_state(found.group(2)):
        return LogLine(number, LineKind.STATE, text,
                       {"insn": int(found.group(1)), "state": found.group(2)})
    return LogLine(number, LineKind.TEXT, text)


def _insn_line(number: int, text: str, insn: int, rest: str) -> LogLine:
    """``N: (op) text``, with ``; state`` after it, or a level-1 rewind's ``M: state`` joined on.

    print_insn_state() pads the instruction to a column and writes `` ;`` and the state after
    the instruction; pop_stack() at level 1 rewinds so a popped branch's ``M: state`` may
    follow the instruction text on the same line.
    """
    fields: dict = {"insn": insn}
    body, sep, state = rest.partition(" ;")
    if sep and (not state or state.startswith(" ")) and looks_like_state(state):
        fields.update(text=body.rstrip(), state=state)
        return LogLine(number, LineKind.INSN, text, fields)
    joined = re.search(r" (\d+):( .*)?$", rest)
    while joined:
        if looks_like_state(joined.group(2) or ""):
            fields.update(text=rest[:joined.start()].rstrip(), joined_insn=int(joined.group(1)),
                          joined_state=joined.group(2) or "")
            return LogLine(number, LineKind.INSN, text, fields)
        joined = re.search(r" (\d+):( .*)?$", rest[:joined.start()])
    fields.update(text=rest.rstrip(), state=None)
    return LogLine(number, LineKind.INSN, text, fields)


def classify_all(text: str) -> list[LogLine]:
    """Every line of ``text``, numbered from 1."""
    return [classify(i, line) for i, line in enumerate(text.split("\n"), 1)]
