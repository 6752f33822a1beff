"""A program file as a value: instructions by slot plus the header directives.

See ``docs/program-format.md`` for the file format. :func:`kfunclab.isa.parser.parse_program`
builds a :class:`Program` from text; the verifier, encoder and views only read it.

>>> from kfunclab.isa.parser import parse_program
>>> prog = parse_program('# SEC("xdp")\\n r0 = 2\\n exit\\n')
>>> prog.section, len(prog.insns)
('xdp', 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from kfunclab.isa.insn import Imm64Tail, Insn


class MemberKind(Enum):
    """What a struct member of a ``# TYPE:`` / ``# MAP:`` struct is."""

    INT = "int"
    KPTR = "kptr"  # struct X __kptr *p: referenced kptr, moved with bpf_kptr_xchg
    KPTR_UNTRUSTED = "kptr_untrusted"  # struct X __kptr_untrusted *p
    PTR = "ptr"  # struct X *p: a plain pointer (no tag)
    SPIN_LOCK = "spin_lock"  # struct bpf_spin_lock l


@dataclass(frozen=True, slots=True)
class Member:
    """One member of a program-local struct, at its natural offset (bytes)."""

    name: str
    kind: MemberKind
    size: int
    offset: int
    type_name: str  # integer type name ("u64", "long"), or the pointee struct's name
    signed: bool = False


@dataclass(frozen=True, slots=True)
class LocalStruct:
    """A struct in the program's own BTF (``# TYPE:`` lines and inline ``# MAP:`` values)."""

    name: str
    members: tuple[Member, ...]
    size: int
    btf_id: int  # the Nth TYPE: line is id N; inline MAP: structs follow


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A map key or value type: an integer (``u32``) or a local struct."""

    name: str  # "u32", "long", or the struct's name
    size: int
    struct: LocalStruct | None = None


@dataclass(frozen=True, slots=True)
class MapDecl:
    """A ``# MAP: NAME TYPE key=K value=V [max_entries=N] [flags=N]`` line."""

    name: str
    map_type: str  # lower case without BPF_MAP_TYPE_: "array", "hash", ...
    key: TypeRef
    value: TypeRef
    max_entries: int = 1
    flags: int = 0
    #: a frozen read-only map's contents (an object's .rodata): loads at constant offsets read
    #: known values, as the kernel's bpf_map_direct_read() does
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Where each slot came from: file name, the text, and a 1-based line per slot."""

    file: str
    text: str
    lines: tuple[int, ...]  # lines[slot]; the tail slot of an ld_imm64 repeats its line

    def line_of(self, slot: int) -> int:
        return self.lines[slot]


@dataclass(frozen=True)
class Program:
    """A BPF program: instructions by slot index, the section and the loader's context."""

    insns: tuple[Insn, ...]
    section: str
    license: str = "GPL"
    dropped_caps: frozenset[str] = frozenset()
    types: tuple[LocalStruct, ...] = ()
    maps: tuple[MapDecl, ...] = ()
    labels: dict[str, int] = field(default_factory=dict)  # label -> slot
    source: SourceMap | None = None
    name: str = "prog"
    #: slot -> (file, line, C text) from an object's line_info (the kernel's ``; text @ f:N``)
    c_lines: dict[int, tuple[str, int, str]] = field(default_factory=dict)
    #: slot -> function name where a subprogram starts (objects: the appended subprograms)
    func_names: dict[int, str] = field(default_factory=dict)
    #: ``BPF_PROG_TYPE_...`` for the JSON record, when a loader knows it
    prog_type_name: str | None = None
    #: BPF_F_* load flags beyond the section's (BPF_F_TEST_STATE_FREQ = 8: a checkpoint at
    #: every prune point)
    prog_flags: int = 0
    #: slot -> (name, argument kinds) of global functions: calls check the arguments against
    #: the BTF prototype and do not enter (kfunclab.verifier.globalfunc)
    global_funcs: dict[int, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    #: a global function verified on its own: its argument kinds (R1 is not the context)
    entry_args: tuple[str, ...] | None = None
    #: first slots of static subprograms whose BTF prototype returns void: R0 may be unset at
    #: their exit (it stays unset in the caller)
    void_funcs: frozenset[int] = frozenset()
    #: something kfunclab cannot model, known before verification (verify() answers
    #: ``unsupported`` with it), and the slot it is about
    unsupported: str | None = None
    unsupported_insn: int | None = None
    #: the kernel refuses the program before verifying it, with this log line (e.g. a __ksym
    #: variable kallsyms does not know)
    refused: str | None = None

    @property
    def has_prog_btf(self) -> bool:
        """Loaded with program BTF and func_info (as libbpf does) when it declares types or maps."""
        return bool(self.types or self.maps)

    def instructions(self) -> list[tuple[int, Insn]]:
        """``(slot, insn)`` for every real instruction (the ld_imm64 tail slots left out)."""
        return [(i, ins) for i, ins in enumerate(self.insns) if not isinstance(ins, Imm64Tail)]

    def has_cap(self, cap: str) -> bool:
        """Whether the loader keeps capability ``cap`` (e.g. ``"cap_perfmon"``); root has all."""
        return cap.lower() not in self.dropped_caps

    def map_named(self, name: str) -> MapDecl | None:
        return next((m for m in self.maps if m.name == name), None)

    def local_type(self, btf_id: int) -> LocalStruct | None:
        for struct in self.all_local_structs():
            if struct.btf_id == btf_id:
                return struct
        return None

    def all_local_structs(self) -> tuple[LocalStruct, ...]:
        """TYPE: structs, then structs written inline in MAP: lines, in id order."""
        seen = {s.btf_id: s for s in self.types}
        for decl in self.maps:
            for ref in (decl.key, decl.value):
                if ref.struct is not None:
                    seen.setdefault(ref.struct.btf_id, ref.struct)
        return tuple(seen[k] for k in sorted(seen))
