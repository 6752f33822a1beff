"""What a load at offset N of a kernel struct reads: the kernel's ``btf_struct_walk()``.

:func:`struct_access` follows ``btf_struct_access()`` in kernel/bpf/btf.c (6.18): it walks into
nested structs, unions and arrays until it reaches a scalar, a pointer member or a mistake, and
answers with the kernel's outcome (SCALAR_VALUE, PTR_TO_BTF_ID, untrusted PTR_TO_MEM) or the
kernel's log line and errno. A bad access is an answer, not an exception; only a type missing
from the bundled snapshot raises :class:`~kfunclab.errors.BtfError`.

>>> from kfunclab.btf.testing import tiny_btf
>>> btf = tiny_btf()
>>> struct_access(btf, btf.struct_id("task_struct"), 12, 8).message
'cannot access ptr member real_parent with moff 8 in struct task_struct with off 12 size 8'
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from kfunclab.btf.types import Array, BtfKind, Composite, Member, Modifier, Ptr
from kfunclab.errors import BtfError

if TYPE_CHECKING:
    from kfunclab.btf.model import Btf


class Access(Enum):
    """The outcome of ``btf_struct_access()``."""

    SCALAR = "SCALAR_VALUE"
    PTR_TO_BTF_ID = "PTR_TO_BTF_ID"  # a pointer member to a struct (WALK_PTR)
    PTR_TO_MEM = "PTR_TO_MEM"  # a pointer to a non-struct: MEM_RDONLY | PTR_UNTRUSTED memory
    ERROR = "error"


# Type tags the walk turns into register flags (btf_struct_walk(), "check type tag").
_TAG_FLAGS = {"user": "MEM_USER", "percpu": "MEM_PERCPU", "rcu": "MEM_RCU"}


@dataclass(frozen=True, slots=True)
class MemberAccess:
    """The answer to "what is at ``offset`` (``size`` bytes) of struct ``struct_id``".

    ``path`` names the member the way C would (``real_parent``, ``cpus_mask.bits[0]``; anonymous
    members are left out). ``member_type_id`` is the member's type after modifiers (the PTR for
    a pointer member, the element for an array). For ``PTR_TO_BTF_ID``, ``btf_id`` is the
    pointed-to struct and ``field_name`` the pointer member (the kernel matches it against
    ``<struct>__safe_rcu`` lists). ``flags`` are the register flags the kernel derives
    (``MEM_RCU``, ``MEM_USER``, ``MEM_PERCPU``, ``PTR_UNTRUSTED``, ``MEM_RDONLY``). For
    ``ERROR``, ``message`` is the kernel's log line and ``errno`` its error number.
    """

    access: Access
    struct_id: int
    offset: int
    size: int
    path: str = ""
    member_type_id: int = 0
    btf_id: int | None = None
    field_name: str = ""
    flags: frozenset[str] = frozenset()
    message: str = ""
    errno: int = 0

    @property
    def ok(self) -> bool:
        return self.access is not Access.ERROR

    @property
    def is_pointer(self) -> bool:
        """The load reads a pointer member exactly (same offset, same size)."""
        return self.access in (Access.PTR_TO_BTF_ID, Access.PTR_TO_MEM)


@dataclass
class _Walk:
    """Mutable state of one walk: the flags and the member path so far."""

    btf: Btf
    flags: set[str] = field(default_factory=set)
    path: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Step:
    """One btf_struct_walk() result: WALK_SCALAR/PTR/PTR_UNTRUSTED/STRUCT or an error."""

    kind: str  # "scalar" | "ptr" | "ptr_untrusted" | "struct" | "error"
    type_id: int = 0
    member_type_id: int = 0
    field_name: str = ""
    message: str = ""
    errno: int = 0


def _error(message: str, err: int) -> _Step:
    return _Step("error", message=message, errno=err)


def _resolve_size(btf: Btf, type_id: int) -> tuple[int, int, int, int] | None:
    """``__btf_resolve_size()``: (total size, element id, element count, first array id or 0).

    The element is the type after modifiers and (multi-dimensional) arrays; None when the
    type has no size (void, FWD, FUNC_PROTO ...).
    """
    tid, nelems, first_array = type_id, 1, 0
    for _ in range(32):
        kind = btf.kind(tid)
        if kind in (BtfKind.INT, BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.ENUM64,
                    BtfKind.FLOAT):
            return nelems * btf.header_size(tid), tid, nelems, first_array
        if kind is BtfKind.PTR:
            return nelems * 8, tid, nelems, first_array
        t = btf.type_by_id(tid)
        if isinstance(t, Modifier):
            tid = t.type
        elif isinstance(t, Array):
            first_array = first_array or tid
            nelems *= t.nelems
            tid = t.type
        else:
            return None
    return None


def _walk_once(w: _Walk, type_id: int, off: int, size: int) -> _Step:
    """One call of the kernel's ``btf_struct_walk()``."""
    btf = w.btf
    seen: set[tuple[int, int]] = set()
    while True:  # the kernel's "goto again"
        type_id = btf.skip_modifiers(type_id)
        if (type_id, off) in seen:
            raise _contains_itself(btf, type_id)
        seen.add((type_id, off))
        tname = btf.name(type_id)
        if btf.kind(type_id) not in (BtfKind.STRUCT, BtfKind.UNION):
            return _error(f"Type '{tname}' is not a struct", errno.EINVAL)
        t = btf.type_by_id(type_id)  # raises for a snapshot stub
        assert isinstance(t, Composite)
        if t.kind is BtfKind.UNION and len(t.members) != 1:
            # walking unions yields untrusted pointers, except single-member ones (__bpf_md_ptr)
            w.flags.add("PTR_UNTRUSTED")
        if off + size > t.size:
            flex = _flexible_tail(w, t, off, size)
            if isinstance(flex, _Step):
                return flex
            type_id, off = flex
            continue
        step = _walk_members(w, t, off, size)
        if isinstance(step, _Step):
            return step
        type_id, off = step


def _flexible_tail(w: _Walk, t: Composite, off: int, size: int) -> _Step | tuple[int, int]:
    """An access past the end is allowed into a trailing flexible array of ints or structs."""
    btf = w.btf
    beyond = _error(f"access beyond struct {t.name} at off {off} size {size}", errno.EACCES)
    if not t.members:
        return beyond
    last = t.members[-1]
    arr = btf.type_by_id(btf.skip_modifiers(last.type))
    moff = last.byte_offset
    if not isinstance(arr, Array) or arr.nelems != 0 or off < moff:
        return beyond
    elem_id = btf.skip_modifiers(arr.type)
    elem_kind = btf.kind(elem_id)
    elem_size = btf.header_size(elem_id) if elem_kind is not BtfKind.PTR else 8
    if elem_kind is BtfKind.INT:
        w.path.append(f"{last.name}[{(off - moff) // max(elem_size, 1)}]")
        return _Step("scalar", member_type_id=elem_id)
    if elem_kind not in (BtfKind.STRUCT, BtfKind.UNION) or elem_size == 0:
        return beyond
    w.path.append(f"{last.name}[{(off - moff) // elem_size}]")
    return elem_id, (off - moff) % elem_size


def _walk_members(w: _Walk, t: Composite, off: int, size: int) -> _Step | tuple[int, int]:
    """The member loop of btf_struct_walk(); a (struct id, offset) pair means "go again"."""
    for m in t.members:
        moff = m.byte_offset
        if off + size <= moff:
            break  # won't find anything, the field is already too far
        if m.bitfield_size:
            end_bit = m.bit_offset + m.bitfield_size
            # off <= moff: clang emits no member for an anonymous ":16" before a bitfield
            if off <= moff and (end_bit + 7) // 8 <= off + size:
                w.path.append(m.name)
                return _Step("scalar", member_type_id=w.btf.skip_modifiers(m.type))
            continue
        if off < moff:
            break  # a hole in the struct
        step = _member(w, t, m, off, size)
        if step is not None:
            return step
    return _error(f"struct {t.name} doesn't have field at offset {off}", errno.EINVAL)


def _member(w: _Walk, t: Composite, m: Member, off: int,
            size: int) -> _Step | tuple[int, int] | None:
    """Check one member that starts at or before ``off``; None means "keep iterating"."""
    btf = w.btf
    moff = m.byte_offset
    resolved = _resolve_size(btf, m.type)
    if resolved is None:
        return _error(f"field {m.name} doesn't have size", errno.EFAULT)
    msize, mid, nelems, first_array = resolved
    mtrue_end = moff + msize
    if off >= mtrue_end:
        return None  # no overlap with this member
    label = m.name
    if first_array:
        if moff == mtrue_end:
            return None  # empty array
        msize //= nelems
        idx = (off - moff) // msize
        moff += idx * msize
        label = f"{m.name}[{idx}]"
    kind = btf.kind(mid)
    if kind in (BtfKind.STRUCT, BtfKind.UNION):
        if label:
            w.path.append(label)
        if off == moff:
            return _Step("struct", type_id=mid, member_type_id=mid)
        return mid, off - moff
    if kind is BtfKind.PTR:
        if msize != size or off != moff:
            return _error(f"cannot access ptr member {m.name} with moff {moff} in struct "
                          f"{t.name} with off {off} size {size}", errno.EACCES)
        w.path.append(label)
        ptr = btf.type_by_id(mid)
        assert isinstance(ptr, Ptr)
        tag_flag = None
        if btf.kind(ptr.type) is BtfKind.TYPE_TAG:
            tag = btf.type_by_id(ptr.type)
            if isinstance(tag, Modifier) and not tag.kind_flag:  # kflag: an __attribute__ tag
                tag_flag = _TAG_FLAGS.get(tag.name)
        target = btf.skip_modifiers(ptr.type)
        if btf.kind(target) in (BtfKind.STRUCT, BtfKind.UNION):
            if tag_flag:
                w.flags.add(tag_flag)
            return _Step("ptr", type_id=target, member_type_id=mid, field_name=m.name)
        return _Step("ptr_untrusted", member_type_id=mid, field_name=m.name)
    # An int may be read anywhere up to the member's true end: skb->cb[] is scratch space.
    if off + size > mtrue_end and "PTR_UNTRUSTED" not in w.flags:
        return _error(f"access beyond the end of member {m.name} (mend:{mtrue_end}) in struct "
                      f"{t.name} with off {off} size {size}", errno.EACCES)
    w.path.append(label)
    return _Step("scalar", member_type_id=mid)


def _contains_itself(btf: Btf, type_id: int) -> BtfError:
    """A struct that contains itself: the kernel refuses such BTF when it loads it
    (``btf_resolve()``: "Loop detected"); never a program's fault."""
    return BtfError(f"BTF {btf.origin}: type [{type_id}] contains itself (the kernel refuses "
                    "such BTF: Loop detected)")


def struct_access(btf: Btf, struct_id: int, offset: int, size: int) -> MemberAccess:
    """``btf_struct_access()``: repeat the walk into nested structs until an answer."""
    w = _Walk(btf)
    type_id, off = struct_id, offset
    seen = {(type_id, off)}
    while True:
        step = _walk_once(w, type_id, off, size)
        if step.kind != "struct":
            break
        type_id, off = step.type_id, 0  # a nested struct at exactly off: dive in at 0
        if (type_id, off) in seen:
            raise _contains_itself(btf, type_id)
        seen.add((type_id, off))
    common = {"struct_id": struct_id, "offset": offset, "size": size, "path": ".".join(w.path),
              "member_type_id": step.member_type_id}
    if step.kind == "error":
        return MemberAccess(Access.ERROR, **common, message=step.message, errno=step.errno)
    if step.kind == "ptr":
        return MemberAccess(Access.PTR_TO_BTF_ID, **common, btf_id=step.type_id,
                            field_name=step.field_name, flags=frozenset(w.flags))
    if step.kind == "ptr_untrusted":
        return MemberAccess(Access.PTR_TO_MEM, **common, field_name=step.field_name,
                            flags=frozenset({"MEM_RDONLY", "PTR_UNTRUSTED"}))
    return MemberAccess(Access.SCALAR, **common)


def ids_match(btf: Btf, type_id: int, offset: int, need_id: int, strict: bool = False) -> bool:
    """``btf_struct_ids_match()``: follow nested structs at ``offset`` until ``need_id``."""
    if offset == 0 and type_id == need_id:
        return True
    if strict:
        return False
    tid, off = type_id, offset
    for _ in range(64):
        step = _walk_once(_Walk(btf), tid, off, 1)
        if step.kind != "struct":
            return False
        if step.type_id == need_id:
            return True
        tid, off = step.type_id, 0
    return False
