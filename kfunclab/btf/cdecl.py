"""C spelling of BTF types: names, declarators, struct/union/enum bodies, layout checks.

The pieces :mod:`kfunclab.btf.cheader` assembles into a ``vmlinux.h``. A declarator is built
inside out, as C reads it: an array appends ``[N]``, a pointer prepends ``*`` (in parentheses
when it points at an array or a function), a function appends its parameter list, and the base
type (``int``, ``struct task_struct``, a typedef, or an anonymous body written inline) goes in
front. Spacing follows ``bpftool btf dump format c`` (``int * const p``, ``char * (*f)(void)``).

Layout is kept exact: a struct whose members sit where C's natural alignment would not put them
is ``__attribute__((packed))``, and gaps are filled with unnamed bitfields (``long: 64;``), so
``sizeof`` and every member offset equal the kernel's.

>>> from kfunclab.btf.builder import BtfBuilder
>>> from kfunclab.btf.model import Btf
>>> b = BtfBuilder()
>>> i = b.add_int("int", 4, signed=True)
>>> fp = b.add_ptr(b.add_func_proto(i, [("", b.add_ptr(0))]))
>>> arr = b.add_array(fp, i, 2)
>>> CDecl(Btf.from_bytes(b.build())).decl(arr, "cbs")
'int (*cbs[2])(void *)'
"""

from __future__ import annotations

from kfunclab.btf.model import Btf
from kfunclab.btf.types import (
    AnyType,
    Array,
    BtfKind,
    Composite,
    Enum,
    FuncProto,
    Fwd,
    Int,
    Member,
    Modifier,
    Ptr,
)
from kfunclab.errors import BtfError

_QUALS = {BtfKind.CONST: "const", BtfKind.VOLATILE: "volatile", BtfKind.RESTRICT: "restrict"}
_WRAPPERS = frozenset(_QUALS) | {BtfKind.TYPE_TAG}
_COMPOSITE = (BtfKind.STRUCT, BtfKind.UNION)
_ENUMS = (BtfKind.ENUM, BtfKind.ENUM64)
# Unnamed-bitfield padding types, smallest first (the BPF target is LP64).
_PADS = ((8, "char"), (16, "short"), (32, "int"), (64, "long"))


def tabs(lvl: int) -> str:
    return "\t" * lvl


def _roundup(value: int, align: int) -> int:
    return -(-value // align) * align


class CDecl:
    """Spell types of ``btf`` as C, keeping names unique the way bpftool does (``foo___2``).

    Struct, union, enum and forward-declaration names share C's tag namespace; typedefs,
    enumerators and functions share the ordinary-identifier namespace. The second type of a
    name in a namespace is written ``name___2`` (CO-RE ignores a ``___suffix``).
    """

    def __init__(self, btf: Btf) -> None:
        self.btf = btf
        self._tag_counts: dict[str, int] = {}
        self._ident_counts: dict[str, int] = {}
        self._names: dict[int, str] = {}
        self._enumerators: dict[int, tuple[str, ...]] = {}
        self._align: dict[int, int] = {}
        self._packed: dict[int, bool] = {}
        self._records: dict[int, AnyType] = {}
        self._kinds = [BtfKind(k) if k in BtfKind._value2member_map_ else BtfKind.UNKN
                       for k in range(32)]

    # -- records --------------------------------------------------------------------------

    def t(self, type_id: int) -> AnyType:
        """The record of ``type_id``; a snapshot stub reads as a forward declaration."""
        rec = self._records.get(type_id)
        if rec is None:
            raw = self.btf.raw
            if type_id and raw.kinds[type_id] == 0:
                raise BtfError(f"type id {type_id} is not in the {self.btf.origin}")
            if type_id in self.btf.stubs:
                rec = Fwd(type_id, BtfKind.FWD, raw.name(type_id),
                          raw.kind(type_id) is BtfKind.UNION)
            else:
                rec = raw.decode(type_id)
            self._records[type_id] = rec
        return rec

    def kind(self, type_id: int) -> BtfKind:
        kind = self._kinds[self.btf.raw.kinds[type_id]]
        if kind in _COMPOSITE and type_id in self.btf.stubs:
            return BtfKind.FWD
        return kind

    def skip_wrappers(self, type_id: int) -> int:
        """Skip const/volatile/restrict/type tags (not typedefs)."""
        for _ in range(64):
            if self.kind(type_id) not in _WRAPPERS:
                return type_id
            t = self.t(type_id)
            assert isinstance(t, Modifier)
            type_id = t.type
        raise BtfError(f"type [{type_id}]: modifier chain too long (a loop?)")

    # -- names ----------------------------------------------------------------------------

    def _unique(self, type_id: int, counts: dict[str, int]) -> str:
        cached = self._names.get(type_id)
        if cached is not None:
            return cached
        orig = self.btf.raw.name(type_id)
        name = ""
        if orig:
            n = counts[orig] = counts.get(orig, 0) + 1
            name = orig if n == 1 else f"{orig}___{n}"
        self._names[type_id] = name
        return name

    def tag_name(self, type_id: int) -> str:
        """The name of a struct/union/enum/fwd ("" when anonymous)."""
        return self._unique(type_id, self._tag_counts)

    def ident_name(self, type_id: int) -> str:
        """The name of a typedef, function or variable."""
        return self._unique(type_id, self._ident_counts)

    def enumerators(self, enum: Enum) -> tuple[str, ...]:
        names = self._enumerators.get(enum.id)
        if names is None:
            out = []
            for v in enum.values:
                n = self._ident_counts[v.name] = self._ident_counts.get(v.name, 0) + 1
                out.append(v.name if n == 1 else f"{v.name}___{n}")
            names = self._enumerators[enum.id] = tuple(out)
        return names

    # -- declarators ----------------------------------------------------------------------

    def decl(self, type_id: int, inner: str = "", lvl: int = 0) -> str:
        """``type_id`` declaring ``inner`` (a name, or "" for an abstract declarator).

        Anonymous structs, unions and enums are written inline, indented for level ``lvl``.
        """
        kind = self.kind(type_id)
        if kind in _WRAPPERS:
            quals, target = self._peel(type_id)
            target_kind = self.kind(target)
            if target_kind is BtfKind.PTR:
                return self._pointer(target, inner, quals, lvl)
            if target_kind in (BtfKind.ARRAY, BtfKind.FUNC_PROTO):
                # a qualified array or function means nothing in C (GCC emits such); bpftool
                # drops the qualifier too
                return self.decl(target, inner, lvl)
            return _join(self.base(target, lvl, quals), inner)
        t = self.t(type_id)
        if isinstance(t, Ptr):
            return self._pointer(type_id, inner, [], lvl)
        if isinstance(t, Array):
            return self.decl(t.type, f"{inner}[{t.nelems}]", lvl)
        if isinstance(t, FuncProto):
            return self.decl(t.type, f"{inner}({self.params(t, lvl)})", lvl)
        return _join(self.base(type_id, lvl, []), inner)

    def _peel(self, type_id: int) -> tuple[list[Modifier], int]:
        quals: list[Modifier] = []
        while self.kind(type_id) in _WRAPPERS:
            t = self.t(type_id)
            assert isinstance(t, Modifier)
            quals.append(t)
            type_id = t.type
            if len(quals) > 64:
                raise BtfError(f"type [{type_id}]: modifier chain too long (a loop?)")
        return quals, type_id

    def _pointer(self, ptr_id: int, inner: str, quals: list[Modifier], lvl: int) -> str:
        ptr = self.t(ptr_id)
        assert isinstance(ptr, Ptr)
        suffix = "".join(" " + self.qualifier(q) for q in reversed(quals))
        text = "*" + suffix
        if inner:
            text = f"{text} {inner}" if suffix or inner.startswith("(") else text + inner
        if self.kind(self.skip_wrappers(ptr.type)) in (BtfKind.ARRAY, BtfKind.FUNC_PROTO):
            text = f"({text})"
        return self.decl(ptr.type, text, lvl)

    def qualifier(self, q: Modifier) -> str:
        if q.kind is BtfKind.TYPE_TAG:
            # kind_flag: the tag is a plain attribute (e.g. address_space(1)), not btf_type_tag
            return f"__attribute__(({q.name}))" if q.kind_flag else \
                f'__attribute__((btf_type_tag("{q.name}")))'
        return _QUALS[q.kind]

    def params(self, proto: FuncProto, lvl: int) -> str:
        ps = proto.params
        if not ps or (len(ps) == 1 and ps[0].type == 0):
            return "void"
        out = []
        for i, p in enumerate(ps):
            if i == len(ps) - 1 and p.type == 0:
                out.append("...")
            else:
                out.append(self.decl(p.type, p.name, lvl))
        return ", ".join(out)

    def base(self, type_id: int, lvl: int, quals: list[Modifier]) -> str:
        """The type a declarator starts from, with qualifiers in front and type tags after."""
        front = [self.qualifier(q) for q in reversed(quals) if q.kind in _QUALS]
        back = [self.qualifier(q) for q in reversed(quals) if q.kind is BtfKind.TYPE_TAG]
        return " ".join([*front, self._base_name(type_id, lvl), *back])

    def _base_name(self, type_id: int, lvl: int) -> str:
        if type_id == 0:
            return "void"
        t = self.t(type_id)
        kind = t.kind
        if kind in (BtfKind.INT, BtfKind.FLOAT):
            return t.name
        if kind is BtfKind.TYPEDEF:
            return self.ident_name(type_id)
        if isinstance(t, Fwd):
            return f"{'union' if t.is_union else 'struct'} {self.tag_name(type_id)}"
        if isinstance(t, Composite):
            if t.name:
                return f"{kind.name.lower()} {self.tag_name(type_id)}"
            return self.composite_body(t, lvl)
        if isinstance(t, Enum):
            return f"enum {self.tag_name(type_id)}" if t.name else self.enum_body(t, lvl)
        raise BtfError(f"type [{type_id}] is {kind.name}, which is not a C type")

    # -- bodies ---------------------------------------------------------------------------

    def composite_body(self, t: Composite, lvl: int) -> str:
        """``struct name { ... }`` with members, padding and attributes (no ``;``)."""
        is_struct = t.kind is BtfKind.STRUCT
        packed = is_struct and self.is_packed(t.id)
        name = self.tag_name(t.id)
        text = [f"{t.kind.name.lower()}{' ' + name if name else ''} {{"]
        cur = 0
        for idx, m in enumerate(t.members):
            off, bits = self.member_bits(t, m)
            if is_struct:
                text += [f"\n{tabs(lvl + 1)}{p};" for p in self._gap(cur, off, m.type, bits,
                                                                     packed)]
            tags = self.decl_attrs(t.id, idx)
            width = f": {bits}" if bits else ""
            text.append(f"\n{tabs(lvl + 1)}{self.decl(m.type, m.name, lvl + 1)}{tags}{width};")
            cur = off + (bits or 8 * self._c_size(m.type))
        if is_struct and cur < 8 * t.size:
            end = 8 * t.size
            if _roundup(cur, 8 * self.align_of(t.id)) != end:  # align_of: 1 when packed
                text += [f"\n{tabs(lvl + 1)}{p};" for p in _pad_pieces(cur, end, packed)]
        text.append(f"\n{tabs(lvl)}}}" if t.members or t.size else "}")
        if packed:
            text.append(" __attribute__((packed))")
        return "".join(text) + self.decl_attrs(t.id, -1)

    def _gap(self, cur: int, off: int, type_id: int, bits: int, packed: bool) -> list[str]:
        if off <= cur:
            return []
        if not packed:
            align = 8 * self.align_of(type_id)
            if not bits and _roundup(cur, align) == off:
                return []  # natural alignment puts the member there
            if bits and off == _roundup(cur, align) and cur % align + bits > align:
                return []  # the bitfield does not fit before the next unit
        return _pad_pieces(cur, off, packed)

    def enum_body(self, t: Enum, lvl: int) -> str:
        name = self.tag_name(t.id)
        head = f"enum{' ' + name if name else ''}"
        if not t.values:
            return head
        suffix = ("LL" if t.signed else "ULL") if t.kind is BtfKind.ENUM64 else ""
        lines = [f"\n{tabs(lvl + 1)}{n} = {v.value}{suffix},"
                 for n, v in zip(self.enumerators(t), t.values, strict=True)]
        return f"{head} {{{''.join(lines)}\n{tabs(lvl)}}}{_enum_mode(t)}"

    def decl_attrs(self, type_id: int, component_idx: int) -> str:
        """DECL_TAGs on a type or its member as attributes (bpf_kfunc ones are written by the
        header writer as ``__ksym`` prototypes instead)."""
        out = []
        for tag in self.btf.decl_tag_records(type_id, component_idx):
            out.append(f" __attribute__(({tag.name}))" if tag.kind_flag else
                       f' __attribute__((btf_decl_tag("{tag.name}")))')
        return "".join(out)

    # -- layout ---------------------------------------------------------------------------

    def member_bits(self, t: Composite, m: Member) -> tuple[int, int]:
        """(bit offset, bitfield size) of a member, for both BTF bitfield encodings."""
        if t.kind_flag:
            return m.bit_offset, m.bitfield_size
        tid = m.type
        while self.kind(tid) is BtfKind.TYPEDEF or self.kind(tid) in _WRAPPERS:
            tid = self.t(tid).type  # type: ignore[union-attr]
        target = self.t(tid)
        if isinstance(target, Int) and (target.bits != 8 * target.size or target.bit_offset):
            return m.bit_offset + target.bit_offset, target.bits
        return m.bit_offset, 0

    def _c_size(self, type_id: int) -> int:
        # the BPF target's va_list is a pointer, not x86's 24-byte array: pad after it
        tid = type_id
        while self.kind(tid) is BtfKind.TYPEDEF or self.kind(tid) in _WRAPPERS:
            t = self.t(tid)
            assert isinstance(t, Modifier)
            if t.name == "__builtin_va_list":
                return 8
            tid = t.type
        return self._size(type_id)

    def _size(self, type_id: int) -> int:
        try:
            return self.btf.sizeof(type_id)
        except BtfError:
            return 0

    def align_of(self, type_id: int) -> int:
        """C's alignment of the type on the BPF target, in bytes (1 for a packed struct)."""
        cached = self._align.get(type_id)
        if cached is not None:
            return cached
        t = self.t(type_id)
        match t:
            case Int() | Enum():
                align = max(1, min(t.size, 16))
            case Ptr():
                align = 8
            case Modifier() | Array():
                align = self.align_of(t.type)
            case Composite():
                align = 1 if self.is_packed(type_id) else self._natural_align(t)
            case _:
                align = max(1, min(getattr(t, "size", 1), 16))
        self._align[type_id] = align
        return align

    def _natural_align(self, t: Composite) -> int:
        return max((self.align_of(m.type) for m in t.members if m.name or not
                    self.member_bits(t, m)[1]), default=1)

    def is_packed(self, type_id: int) -> bool:
        """Does the struct need ``__attribute__((packed))`` to get the kernel's layout?"""
        cached = self._packed.get(type_id)
        if cached is not None:
            return cached
        t = self.t(type_id)
        packed = False
        if isinstance(t, Composite) and t.kind is BtfKind.STRUCT:
            align = self._natural_align(t)
            packed = t.size % align != 0
            for m in t.members:
                off, bits = self.member_bits(t, m)
                unit = 8 * self.align_of(m.type)
                if (not bits and off % unit) or (bits and off // unit != (off + bits - 1) // unit):
                    packed = True
                    break
        self._packed[type_id] = packed
        return packed


def _join(base: str, inner: str) -> str:
    return f"{base} {inner}" if inner else base


def _pad_pieces(cur: int, end: int, packed: bool) -> list[str]:
    """Unnamed bitfields filling bits [cur, end): ``long: 64`` for whole words, the smallest
    type whose storage unit holds the piece otherwise."""
    out = []
    while cur < end:
        nxt = _roundup(cur, 64)
        if not packed and cur % 64 and nxt + 64 <= end:
            out.append("long: 64")  # does not fit before the next word, so it starts there
            cur = nxt + 64
            continue
        piece = min(end - cur, 64 - cur % 64)
        name = next(n for unit, n in _PADS if cur // unit == (cur + piece - 1) // unit)
        out.append(f"{name}: {piece}")
        cur += piece
    return out


def _enum_mode(t: Enum) -> str:
    if t.size == 1:
        return " __attribute__((mode(byte)))"
    if t.size == 2:
        return " __attribute__((mode(HI)))"
    if t.size == 8 and (t.kind is BtfKind.ENUM or all(-(1 << 31) <= v.value < (1 << 32)
                                                     for v in t.values)):
        return " __attribute__((mode(word)))"
    return ""
