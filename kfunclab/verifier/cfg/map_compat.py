"""``check_map_prog_compatibility()`` (kernel/bpf/verifier.c): maps a program type may not use.

The kernel checks each map a program loads with ``ld_imm64`` when it resolves it
(``resolve_pseudo_ldimm64()`` -> ``__add_used_map()``), before any path is walked, so a map
load in dead code counts too. The part modelled here: a map value holding a
``struct bpf_spin_lock`` in a socket filter or a tracing program (kprobe, tracepoint,
perf_event, raw tracepoint), which the kernel does not allow yet.

>>> from kfunclab.isa.program import Program
>>> map_prog_incompatibility(Program((), section="kprobe/f"), None) is None
True
"""

from __future__ import annotations

from kfunclab.errors import SectionError
from kfunclab.isa.program import MapDecl, Program
from kfunclab.progtypes import ProgType, program_type
from kfunclab.verifier import messages as msg

#: is_tracing_prog_type()
TRACING_PROG_TYPES = frozenset({ProgType.KPROBE, ProgType.TRACEPOINT, ProgType.PERF_EVENT,
                                ProgType.RAW_TRACEPOINT, ProgType.RAW_TRACEPOINT_WRITABLE})


def map_prog_incompatibility(program: Program, decl: MapDecl | None) -> str | None:
    """The kernel's message if ``program``'s type may not use the map ``decl``, else None."""
    if decl is None:
        return None
    struct = getattr(decl.value, "struct", None)
    if struct is None or not any(m.kind.value == "spin_lock" for m in struct.members):
        return None
    try:
        prog_type = program_type(program.section).prog_type
    except SectionError:  # refused elsewhere, with its own error
        return None
    if prog_type is ProgType.SOCKET_FILTER:
        return msg.SPIN_LOCK_IN_SOCKET_FILTER
    if prog_type in TRACING_PROG_TYPES:
        return msg.SPIN_LOCK_IN_TRACING
    return None
