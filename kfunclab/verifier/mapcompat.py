"""``check_map_prog_compatibility()``: map value fields some program types may not use.

The kernel checks every map a program loads (``resolve_pseudo_ldimm64()``, before the program
is walked): tracing programs (kprobe, tracepoint, perf_event, raw_tracepoint) may not use maps
whose values hold a ``bpf_spin_lock``, a ``bpf_timer``, a ``bpf_wq`` or a graph root, and
socket filters may not use a ``bpf_spin_lock``. Only fields at the top level of the value are
seen here; a program whose special field is nested answers unsupported elsewhere.

>>> from kfunclab.progtypes import ProgType
from kfunclab.verifier import messages as msg
>>> is_tracing_prog_type(ProgType.KPROBE), is_tracing_prog_type(ProgType.TRACING)
(True, False)
"""

from __future__ import annotations

import errno

from kfunclab.isa.insn import Imm64Kind, LoadImm64
from kfunclab.isa.program import MapDecl, MemberKind, Program
from kfunclab.progtypes import ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.result import Diagnostic

_TRACING = frozenset({ProgType.KPROBE, ProgType.TRACEPOINT, ProgType.PERF_EVENT,
                      ProgType.RAW_TRACEPOINT, ProgType.RAW_TRACEPOINT_WRITABLE})


def is_tracing_prog_type(prog_type: ProgType) -> bool:
    """``is_tracing_prog_type()``: the program types that run in any context."""
    return prog_type in _TRACING


def _fields(decl: MapDecl) -> set[str]:
    struct = decl.value.struct
    if struct is None:
        return set()
    out = {m.type_name for m in struct.members}
    if any(m.kind is MemberKind.SPIN_LOCK for m in struct.members):
        out.add("bpf_spin_lock")
    return out


def map_prog_compatibility(decl: MapDecl, prog_type: ProgType) -> str | None:
    """The kernel's refusal of ``decl`` in a program of ``prog_type``, or None."""
    fields = _fields(decl)
    tracing = is_tracing_prog_type(prog_type)
    if tracing and fields & {"bpf_list_head", "bpf_rb_root"}:
        return msg.MAP_GRAPH_IN_TRACING
    if "bpf_spin_lock" in fields:
        if prog_type is ProgType.SOCKET_FILTER:
            return msg.SPIN_LOCK_IN_SOCKET_FILTER
        if tracing:
            return msg.SPIN_LOCK_IN_TRACING
    if tracing and "bpf_timer" in fields:
        return msg.TIMER_IN_TRACING
    if tracing and "bpf_wq" in fields:
        return msg.WQ_IN_TRACING
    return None


def check_map_prog_compatibility(program: Program, prog_type: ProgType) -> Diagnostic | None:
    """``resolve_pseudo_ldimm64()``, before the walk: the first map load (in instruction
    order) whose fd names no map, or whose map the program type may not use."""
    for _slot, insn in program.instructions():
        if type(insn) is not LoadImm64 or insn.kind not in (Imm64Kind.MAP_FD,
                                                             Imm64Kind.MAP_VALUE):
            continue
        decl = program.map_named(insn.map_name or "")
        if decl is None:  # processed 0 insns: refused before do_check()
            return Diagnostic(None, msg.MAP_NOT_FOUND.format(fd=insn.imm), errno=errno.EBADF)
        refusal = map_prog_compatibility(decl, prog_type)
        if refusal is not None:
            return Diagnostic(None, refusal, errno=errno.EINVAL)
    return None
