"""The program BTF that a file's ``# TYPE:`` / ``# MAP:`` lines build: the blob BPF_BTF_LOAD takes.

Layout (guaranteed, so program authors can write local type ids literally):

1. the Nth ``TYPE:`` struct is id N, then the structs written inline in ``MAP:`` lines
   (exactly :meth:`Program.all_local_structs`, whose ``btf_id`` must be 1, 2, ... in order);
2. then helper types, made on first use while the structs' members are laid down in order:
   INTs (named by their C spelling), ``PTR -> TYPE_TAG "kptr"|"kptr_untrusted" -> STRUCT X``
   for kptr members (X a local struct of that name, else an *empty* STRUCT X that the kernel
   matches by name against vmlinux), ``struct bpf_spin_lock { unsigned int val; }``;
3. then the map keys' and values' INTs;
4. then FUNC ``main`` (global, ``int main(void *ctx)``) and a static ``int sub_<insn>(void)`` for
   every bpf-to-bpf call target, which the func_info records point at.

The writer is ours: a 24-byte header, the type records, the string table.

>>> from kfunclab.isa.program import LocalStruct, Member, MemberKind, Program
>>> node = LocalStruct("node_data", (Member("v", MemberKind.INT, 8, 0, "long", True),), 8, 1)
>>> pbtf = build_prog_btf(Program(insns=(), section="syscall", types=(node,)))
>>> print(pbtf.describe().splitlines()[1])
  [1] STRUCT node_data size=8 {v@0}
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from kfunclab.errors import DeclarationError, ProgramError
from kfunclab.isa.insn import Call, CallKind, Imm64Kind, LoadImm64
from kfunclab.isa.program import LocalStruct, MapDecl, Member, MemberKind, Program, TypeRef

BTF_MAGIC = 0xEB9F
BTF_VERSION = 1
BTF_HEADER_LEN = 24
#: ``struct bpf_func_info`` is {u32 insn_off; u32 type_id}.
FUNC_INFO_REC_SIZE = 8
SPIN_LOCK = "bpf_spin_lock"


class BtfKind(IntEnum):
    """``BTF_KIND_*`` of ``include/uapi/linux/btf.h`` (the ones the program BTF uses)."""

    INT = 1
    PTR = 2
    STRUCT = 4
    FUNC = 12
    FUNC_PROTO = 13
    TYPE_TAG = 18


class Linkage(IntEnum):
    """``BTF_FUNC_*`` linkage, kept in a FUNC's vlen."""

    STATIC = 0
    GLOBAL = 1


# BTF_INT_SIGNED in the INT encoding byte.
_BTF_INT_SIGNED = 1


@dataclass(slots=True)
class _Record:
    kind: BtfKind
    name: str
    size_or_type: int  # size for INT/STRUCT, a type id for the others
    vlen: int = 0  # FUNC: linkage
    members: tuple[tuple[str, int, int], ...] = ()  # STRUCT (name, type, byte offset); PROTO params
    int_signed: bool = False


class BtfWriter:
    """Builds a raw BTF blob; ``add_*`` return the new type id, handed out from 1 in call order.

    A struct may be added empty and completed later with :meth:`define_struct` (forward
    references are fine: the kernel resolves ids after reading every record).

    >>> w = BtfWriter()
    >>> w.add_int("int", 4, signed=True), w.add_ptr(1)
    (1, 2)
    >>> len(w.encode())  # header + INT (16) + PTR (12) + strings "\\0int\\0"
    57
    """

    def __init__(self) -> None:
        self._records: list[_Record] = []
        self._strings = bytearray(b"\0")
        self._string_offsets: dict[str, int] = {"": 0}

    def __len__(self) -> int:
        return len(self._records)

    def _add(self, record: _Record) -> int:
        self._records.append(record)
        return len(self._records)

    def add_int(self, name: str, size: int, *, signed: bool) -> int:
        return self._add(_Record(BtfKind.INT, name, size, int_signed=signed))

    def add_ptr(self, target: int) -> int:
        return self._add(_Record(BtfKind.PTR, "", target))

    def add_type_tag(self, tag: str, target: int) -> int:
        return self._add(_Record(BtfKind.TYPE_TAG, tag, target))

    def add_struct(self, name: str, size: int = 0, members: tuple[tuple[str, int, int], ...] = ()
                   ) -> int:
        """``members`` are ``(name, type id, byte offset)``."""
        return self._add(_Record(BtfKind.STRUCT, name, size, members=members))

    def define_struct(self, type_id: int, size: int, members: tuple[tuple[str, int, int], ...]
                      ) -> None:
        record = self._records[type_id - 1]
        record.size_or_type = size
        record.members = members

    def add_func_proto(self, ret: int, params: tuple[tuple[str, int], ...] = ()) -> int:
        return self._add(_Record(BtfKind.FUNC_PROTO, "", ret,
                                 members=tuple((n, t, 0) for n, t in params)))

    def add_func(self, name: str, proto: int, linkage: Linkage) -> int:
        return self._add(_Record(BtfKind.FUNC, name, proto, vlen=int(linkage)))

    def _string(self, name: str) -> int:
        if name not in self._string_offsets:
            self._string_offsets[name] = len(self._strings)
            self._strings += name.encode() + b"\0"
        return self._string_offsets[name]

    def _encode_record(self, rec: _Record) -> bytes:
        def head(vlen: int) -> bytes:
            return struct.pack("<III", self._string(rec.name), (rec.kind << 24) | vlen,
                               rec.size_or_type)

        match rec.kind:
            case BtfKind.INT:
                encoding = _BTF_INT_SIGNED if rec.int_signed else 0
                return head(0) + struct.pack("<I", (encoding << 24) | (rec.size_or_type * 8))
            case BtfKind.STRUCT:  # the struct's name enters the string table before its members'
                first = head(len(rec.members))
                return first + b"".join(struct.pack("<III", self._string(n), t, off * 8)
                                        for n, t, off in rec.members)
            case BtfKind.FUNC_PROTO:
                first = head(len(rec.members))
                return first + b"".join(struct.pack("<II", self._string(n), t)
                                        for n, t, _ in rec.members)
            case BtfKind.FUNC:
                return head(rec.vlen)
            case _:  # PTR, TYPE_TAG: the header alone
                return head(0)

    def encode(self) -> bytes:
        """Header, type section, string section (in that order, no padding between)."""
        types = b"".join(self._encode_record(rec) for rec in self._records)
        strings = bytes(self._strings)
        header = struct.pack("<HBBIIIII", BTF_MAGIC, BTF_VERSION, 0, BTF_HEADER_LEN,
                             0, len(types), len(types), len(strings))
        return header + types + strings

    def listing(self) -> tuple[str, ...]:
        """One line per type, ``[id] KIND name ...``, for :meth:`ProgBtf.describe`."""
        lines = []
        for type_id, rec in enumerate(self._records, start=1):
            match rec.kind:
                case BtfKind.STRUCT:
                    members = ", ".join(f"{n}@{off}" for n, _, off in rec.members)
                    lines.append(f"[{type_id}] STRUCT {rec.name} size={rec.size_or_type} "
                                 f"{{{members}}}")
                case BtfKind.INT:
                    lines.append(f"[{type_id}] INT {rec.name!r} size={rec.size_or_type}")
                case BtfKind.FUNC:
                    linkage = Linkage(rec.vlen).name.lower()
                    lines.append(f"[{type_id}] FUNC {rec.name} {linkage} -> {rec.size_or_type}")
                case _:
                    name = f" {rec.name!r}" if rec.name else ""
                    lines.append(f"[{type_id}] {rec.kind.name}{name} -> {rec.size_or_type}")
        return tuple(lines)


@dataclass(frozen=True, slots=True)
class MapBtf:
    """A ``# MAP:`` line with the program-BTF ids of its key and value."""

    name: str
    map_type: str  # "array", "hash", ...
    key_size: int
    value_size: int
    key_type_id: int
    value_type_id: int
    max_entries: int
    flags: int


@dataclass(frozen=True, slots=True)
class ProgBtf:
    """The blob, the func_info records ``(insn_off, type_id)`` and the maps' type ids."""

    blob: bytes
    func_info: tuple[tuple[int, int], ...]
    maps: tuple[MapBtf, ...]
    listing: tuple[str, ...]

    def func_info_bytes(self) -> bytes:
        return b"".join(struct.pack("<II", insn, type_id) for insn, type_id in self.func_info)

    def describe(self) -> str:
        """The type table, as ``kernel-verdict --types`` prints it."""
        out = ["program BTF types:", *(f"  {line}" for line in self.listing)]
        out += [f"map {m.name}: {m.map_type} key id {m.key_type_id} ({m.key_size} bytes) "
                f"value id {m.value_type_id} ({m.value_size} bytes) max_entries={m.max_entries}"
                for m in self.maps]
        out += [f"func_info: insn {insn} -> [{type_id}]" for insn, type_id in self.func_info]
        return "\n".join(out)


def _c_int_name(size: int, signed: bool) -> str:
    base = {1: "char", 2: "short", 4: "int", 8: "long"}.get(size)
    if base is None:
        raise DeclarationError(f"{size}-byte integer", "expected a 1, 2, 4 or 8 byte integer")
    return base if signed else f"unsigned {base}"


def _name_is_signed(name: str) -> bool:
    """``u32``/``__u64``/``unsigned int`` are unsigned; ``int``/``s8``/``long``/``char`` signed."""
    plain = name.strip().lstrip("_")
    return not (plain.startswith("u") or plain.startswith("unsigned"))


def subprog_starts(program: Program) -> tuple[int, ...]:
    """Slot 0 and every bpf-to-bpf call (or callback) target, sorted: where func_info records
    must point.

    >>> from kfunclab.isa.insn import Call, CallKind, Exit
    >>> subprog_starts(Program(insns=(Call(CallKind.SUBPROG, 1), Exit(), Exit()), section="xdp"))
    (0, 2)
    """
    starts = {0}
    for slot, insn in program.instructions():
        if (isinstance(insn, Call) and insn.kind is CallKind.SUBPROG) or (
                isinstance(insn, LoadImm64) and insn.kind is Imm64Kind.FUNC):  # a callback
            starts.add(slot + 1 + insn.imm)
    return tuple(sorted(starts))


class _Builder:
    """Lays the program's structs and maps into a BtfWriter in the documented order."""

    def __init__(self, structs: tuple[LocalStruct, ...],
                 struct_exists: Callable[[str], bool] | None) -> None:
        self.writer = BtfWriter()
        self.struct_exists = struct_exists
        self.local = {s.name: s.btf_id for s in structs}
        self.ints: dict[str, int] = {}
        self.stubs: dict[str, int] = {}
        self.pointers: dict[tuple[int, str | None], int] = {}
        self.spin_lock: int | None = None
        self.timer: int | None = None

    def int_type(self, size: int, signed: bool) -> int:
        name = _c_int_name(size, signed)
        if name not in self.ints:
            self.ints[name] = self.writer.add_int(name, size, signed=signed)
        return self.ints[name]

    def pointee(self, name: str, where: str) -> int:
        if name in self.local:
            return self.local[name]
        if name not in self.stubs:
            if self.struct_exists is not None and not self.struct_exists(name):
                raise DeclarationError(where, f"struct {name} is neither a TYPE: struct nor a "
                                              "struct of the kernel's BTF")
            # empty STRUCT X: the kernel looks X up by name in vmlinux (btf_parse_kptr)
            self.stubs[name] = self.writer.add_struct(name)
        return self.stubs[name]

    def pointer(self, target: int, tag: str | None) -> int:
        key = (target, tag)
        if key not in self.pointers:
            tagged = self.writer.add_type_tag(tag, target) if tag else target
            self.pointers[key] = self.writer.add_ptr(tagged)
        return self.pointers[key]

    def spin_lock_type(self) -> int:
        if self.spin_lock is None:
            val = self.int_type(4, signed=False)
            self.spin_lock = self.writer.add_struct(SPIN_LOCK, 4, (("val", val, 0),))
        return self.spin_lock

    def timer_type(self) -> int:
        """``struct bpf_timer`` as the kernel finds it: by name and size (16 bytes)."""
        if self.timer is None:
            u64 = self.int_type(8, signed=False)
            self.timer = self.writer.add_struct("bpf_timer", 16, (("__opaque0", u64, 0),
                                                                   ("__opaque1", u64, 8)))
        return self.timer

    def member_type(self, member: Member, where: str) -> int:
        match member.kind:
            case MemberKind.INT:
                return self.int_type(member.size, member.signed)
            case (MemberKind.KPTR | MemberKind.KPTR_UNTRUSTED | MemberKind.KPTR_REF
                  | MemberKind.PERCPU_KPTR):
                return self.pointer(self.pointee(member.type_name, where), member.kind.value)
            case MemberKind.PTR:
                return self.pointer(self.pointee(member.type_name, where), None)
            case MemberKind.SPIN_LOCK:
                return self.spin_lock_type()
            case MemberKind.TIMER:
                return self.timer_type()
        raise DeclarationError(where, f"unsupported member kind {member.kind}")

    def ref_type(self, ref: TypeRef) -> int:
        if ref.struct is not None:
            return ref.struct.btf_id
        return self.int_type(ref.size, _name_is_signed(ref.name))


def build_prog_btf(program: Program,
                   struct_exists: Callable[[str], bool] | None = None) -> ProgBtf:
    """The program BTF and func_info for ``program`` (which must declare types or maps).

    ``struct_exists(name)`` says whether the kernel has ``struct name`` (to refuse a kptr to a
    struct that exists nowhere); None skips that check.
    """
    structs = program.all_local_structs()
    if [s.btf_id for s in structs] != list(range(1, len(structs) + 1)):
        raise ProgramError("local struct ids must be 1..N in declaration order, got "
                           f"{[s.btf_id for s in structs]}")
    names = [s.name for s in structs]
    for name in names:
        if names.count(name) > 1 or name == SPIN_LOCK:
            raise DeclarationError(f"struct {name}", "defined twice")
    build = _Builder(structs, struct_exists)
    for local in structs:  # reserve ids 1..N first: members may point at later structs
        build.writer.add_struct(local.name)
    for local in structs:
        members = tuple(
            (m.name, build.member_type(m, f"struct {local.name} member {m.name}"), m.offset)
            for m in local.members
        )
        build.writer.define_struct(local.btf_id, local.size, members)
    maps = tuple(_map_btf(build, decl) for decl in program.maps)
    func_info = _add_funcs(build, subprog_starts(program))
    return ProgBtf(build.writer.encode(), func_info, maps, build.writer.listing())


#: map types without keys or values: bpf_map_create() wants key_size = value_size = 0 and no
#: BTF key/value ids for them (libbpf drops what a map definition says), so the key= and value=
#: of their MAP: lines are not sent
_NO_KEY_VALUE = frozenset({"ringbuf", "user_ringbuf"})


def _map_btf(build: _Builder, decl: MapDecl) -> MapBtf:
    if decl.map_type in _NO_KEY_VALUE:
        return MapBtf(decl.name, decl.map_type, 0, 0, 0, 0, decl.max_entries, decl.flags)
    return MapBtf(decl.name, decl.map_type, decl.key.size, decl.value.size,
                  build.ref_type(decl.key), build.ref_type(decl.value), decl.max_entries,
                  decl.flags)


def _add_funcs(build: _Builder, starts: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """FUNC main (global, ``int main(void *ctx)``) and static ``int sub_<insn>(void)``."""
    writer = build.writer
    int_id = build.int_type(4, signed=True)
    main_proto = writer.add_func_proto(int_id, (("ctx", writer.add_ptr(0)),))
    sub_proto: int | None = None
    records = []
    for start in starts:
        if start == 0:
            records.append((0, writer.add_func("main", main_proto, Linkage.GLOBAL)))
            continue
        if sub_proto is None:
            sub_proto = writer.add_func_proto(int_id)
        records.append((start, writer.add_func(f"sub_{start}", sub_proto, Linkage.STATIC)))
    return tuple(records)
