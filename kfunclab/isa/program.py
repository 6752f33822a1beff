"""A program file as a value: instructions by slot plus the header directives.

See ``docs/program-format.md`` for the file format. :func:`kfunclab.isa.parser.parse_program`
builds a :class:`Program` from text; the verifier, encoder and views only read it.

>>> from kfunclab.isa.parser import parse_program
>>> prog = parse_program('# SEC("xdp")\\n r0 = 2\\n exit\\n')
>>> prog.section, len(prog.insns)
('xdp', 2)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from kfunclab.errors import ParseError
from kfunclab.isa.insn import Imm64Kind, Imm64Tail, Insn, LoadImm64


class MemberKind(Enum):
    """What a struct member of a ``# TYPE:`` / ``# MAP:`` struct is."""

    INT = "int"
    KPTR = "kptr"  # struct X __kptr *p: referenced kptr, moved with bpf_kptr_xchg
    KPTR_UNTRUSTED = "kptr_untrusted"  # struct X __kptr_untrusted *p
    #: struct X __kptr_ref *p: the doc era's (before 6.4) spelling of a referenced kptr; there
    #: ``__kptr`` meant an unreferenced one. The profile says which tag means what.
    KPTR_REF = "kptr_ref"
    #: struct X __percpu_kptr *p (6.7+): a bpf_percpu_obj_new object of the program's struct X,
    #: moved with bpf_kptr_xchg, loaded as an RCU per-CPU pointer (BPF_KPTR_PERCPU)
    PERCPU_KPTR = "percpu_kptr"
    PTR = "ptr"  # struct X *p: a plain pointer (no tag)
    SPIN_LOCK = "spin_lock"  # struct bpf_spin_lock l
    TIMER = "timer"  # struct bpf_timer t (16 bytes, 8-aligned): the timer helpers' target
    #: struct bpf_wq w (16 bytes, 8-aligned, ELF objects only): the bpf_wq kfuncs' target
    WORKQUEUE = "bpf_wq"
    #: graph fields (objects' BTF only): struct bpf_list_head h __contains(T, node) ...
    LIST_HEAD = "bpf_list_head"
    LIST_NODE = "bpf_list_node"
    RB_ROOT = "bpf_rb_root"
    RB_NODE = "bpf_rb_node"


@dataclass(frozen=True, slots=True)
class Member:
    """One member of a program-local struct, at its natural offset (bytes)."""

    name: str
    kind: MemberKind
    size: int
    offset: int
    type_name: str  # integer type name ("u64", "long"), or the pointee struct's name
    signed: bool = False
    #: a graph root's ``__contains(T, node)``: (T, node) as the decl tag names them
    contains: tuple[str, str] | None = None
    #: a pointer member: whether it points to a struct or union (modifiers skipped); a pointer
    #: to anything else (an int, void, a forward declaration) walks to untrusted read-only memory
    ptr_to_struct: bool = True


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
    #: a map of maps (objects only): the inner map a lookup gives (``inner_map_meta``)
    inner: MapDecl | None = None
    #: the name the kernel holds (``map->name``, printed in the log) when it is not ``name``
    #: cut to 15 bytes: libbpf's names of an object's data-section maps (``obj_na.bss``)
    log_name: str | None = None


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Where each slot came from: file name, the text, and a 1-based line per slot."""

    file: str
    text: str
    lines: tuple[int, ...]  # lines[slot]; the tail slot of an ld_imm64 repeats its line

    def line_of(self, slot: int) -> int:
        return self.lines[slot]


@dataclass(frozen=True, slots=True)
class TypeIdRef:
    """``bpf_core_type_id_kernel(struct NAME)`` in the immediate of the instruction at ``slot``.

    libbpf's CO-RE relocation BPF_CORE_TYPE_ID_TARGET: the immediate becomes NAME's type id in
    the kernel's BTF, which differs between kernel builds. ``kind`` is ``struct``, ``union``,
    ``enum``, ``typedef`` or None (any named type); ``line``/``col`` say where it was written.
    """

    slot: int
    kind: str | None
    name: str
    line: int = 0
    col: int = 0

    @property
    def text(self) -> str:
        """The source spelling, e.g. ``bpf_core_type_id_kernel(struct cgroup)``."""
        return f"bpf_core_type_id_kernel({self.kind + ' ' if self.kind else ''}{self.name})"


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
    #: immediates written as ``bpf_core_type_id_kernel(...)``: 0 until resolved against a BTF
    #: (:func:`resolve_type_ids`), then the id, with the name kept for views and printers
    type_ids: tuple[TypeIdRef, ...] = ()
    type_ids_resolved: bool = False
    #: slot -> (file, line, C text) from an object's line_info (the kernel's ``; text @ f:N``)
    c_lines: dict[int, tuple[str, int, str]] = field(default_factory=dict)
    #: slot -> function name where a subprogram starts (objects: the appended subprograms)
    func_names: dict[int, str] = field(default_factory=dict)
    #: a global function verified on its own: the kernel's ``func#N`` of each function in the
    #: main program it belongs to (its own linking numbers them differently)
    func_numbers: dict[str, int] = field(default_factory=dict)
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
    #: what btf_prepare_func_args() prints for the main function's BTF prototype before the
    #: walk (objects: kfunclab.elf.mainargs); None: the loader's ``int main(void *ctx)``
    func_args_log: tuple[str, ...] | None = None
    #: a struct_ops program: (kernel struct, member) it implements, from the object's
    #: struct_ops map (libbpf's attach_btf_id and expected_attach_type)
    struct_ops: tuple[str, str] | None = None
    #: first slots of static subprograms whose BTF prototype returns void: R0 may be unset at
    #: their exit (it stays unset in the caller)
    void_funcs: frozenset[int] = frozenset()
    #: first slots of global functions that may change packet data (a helper of
    #: bpf_helper_changes_pkt_data(), bpf_tail_call included, in them or in a function they
    #: call): a call of one kills the caller's packet pointers (subprog_info[].changes_pkt_data)
    pkt_changing_funcs: frozenset[int] = frozenset()
    #: something kfunclab cannot model, known before verification (verify() answers
    #: ``unsupported`` with it), and the slot it is about
    #: the main function's ``__exception_cb(NAME)`` callback (``exception_callback_subprog``),
    #: on the main program and on each of its global functions; that global function is
    #: verified as the exception callback (one scalar argument, the program's return range)
    exception_callback: str | None = None
    unsupported: str | None = None
    unsupported_insn: int | None = None
    #: the kernel refuses the program before verifying it, with this log line (e.g. a __ksym
    #: variable kallsyms does not know)
    refused: str | None = None
    refused_errno: int = 2  # ... and the errno (ENOENT for a __ksym; EINVAL for others)
    #: an object's own BTF (:class:`kfunclab.elf.fields.LocalTypes`): the structs
    #: ``bpf_obj_new`` may allocate and graph roots name, read on demand
    local_btf: Any = None
    #: slot -> the error line libbpf's log fixup puts where the kernel refuses that slot (a
    #: poisoned CO-RE relocation: ``failed to resolve CO-RE relocation ...``)
    log_fixups: dict[int, str] = field(default_factory=dict)

    @property
    def has_prog_btf(self) -> bool:
        """Loaded with program BTF and func_info (as libbpf does) when it declares types or maps,
        comes from an object with BTF, or takes a callback's address (``check_ld_imm64()`` wants
        func_info then)."""
        return bool(self.types or self.maps) or self.local_btf is not None or any(
            isinstance(i, LoadImm64) and i.kind is Imm64Kind.FUNC for i in self.insns)

    def instructions(self) -> list[tuple[int, Insn]]:
        """``(slot, insn)`` for every real instruction (the ld_imm64 tail slots left out)."""
        return [(i, ins) for i, ins in enumerate(self.insns) if not isinstance(ins, Imm64Tail)]

    def type_id_ref(self, slot: int) -> TypeIdRef | None:
        """The ``bpf_core_type_id_kernel(...)`` written at ``slot``, if any."""
        return next((r for r in self.type_ids if r.slot == slot), None)

    def has_cap(self, cap: str) -> bool:
        """Whether the loader keeps capability ``cap`` (e.g. ``"cap_perfmon"``); root has all."""
        return cap.lower() not in self.dropped_caps

    def map_named(self, name: str) -> MapDecl | None:
        return next((m for m in self.maps if m.name == name), None)

    def local_type(self, btf_id: int) -> LocalStruct | None:
        if self.local_btf is not None:
            return self.local_btf.struct(btf_id)  # type: ignore[no-any-return]
        for struct in self.all_local_structs():
            if struct.btf_id == btf_id:
                return struct
        return None

    def local_named(self, name: str) -> LocalStruct | None:
        """The program's own struct called ``name`` (what ``__contains(name, ...)`` means)."""
        if self.local_btf is not None:
            return self.local_btf.named(name)  # type: ignore[no-any-return]
        return next((s for s in self.all_local_structs() if s.name == name), None)

    def all_local_structs(self) -> tuple[LocalStruct, ...]:
        """TYPE: structs, then structs written inline in MAP: lines, in id order."""
        seen = {s.btf_id: s for s in self.types}
        for decl in self.maps:
            for ref in (decl.key, decl.value):
                if ref.struct is not None:
                    seen.setdefault(ref.struct.btf_id, ref.struct)
        return tuple(seen[k] for k in sorted(seen))


def resolve_type_ids(program: Program, find: Callable[[str | None, str], int | None],
                     btf_name: str = "the kernel's BTF") -> Program:
    """Fill every ``bpf_core_type_id_kernel(...)`` immediate with ``find(kind, name)``.

    ``find`` answers the type id of a ``kind`` (``struct`` ...; None = any) called ``name`` in
    the BTF in use, or None when there is none, which is an error at the reference's line and
    column (libbpf, too, fails a TYPE_ID_TARGET relocation whose type the kernel lacks).

    >>> from kfunclab.isa.parser import parse_program
    >>> p = parse_program('# SEC("socket")\\n r2 = bpf_core_type_id_kernel(struct cgroup)\\n'
    ...                   ' r0 = 0\\n exit')
    >>> resolve_type_ids(p, lambda kind, name: 966).insns[0].imm
    966
    """
    if not program.type_ids or program.type_ids_resolved:
        return program
    insns = list(program.insns)
    for ref in program.type_ids:
        type_id = find(ref.kind, ref.name)
        if type_id is None:
            file = program.source.file if program.source else program.name
            what = f"{ref.kind} {ref.name}" if ref.kind else ref.name
            raise ParseError(file, ref.line, ref.col,
                             f"{ref.text}: no type '{what}' in {btf_name}")
        insns[ref.slot] = dataclasses.replace(insns[ref.slot], imm=type_id)
    return dataclasses.replace(program, insns=tuple(insns), type_ids_resolved=True)
