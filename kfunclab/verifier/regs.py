"""Register values: what the verifier knows about one register or spilled stack slot.

A :class:`Reg` mirrors the kernel's ``struct bpf_reg_state``: a base type (``RegType``) plus type
flags (``PTR_MAYBE_NULL``, ``MEM_RCU``, ``PTR_TRUSTED`` ...), a fixed offset, a variable part
(a :class:`~kfunclab.verifier.scalar.Scalar`: the value of a scalar, or the variable offset of a
pointer), and the two ids the kernel uses — ``id`` (the nullability / scalar-link group) and
``ref_obj_id`` (the acquired reference). Values are immutable; a transfer builds a new one.

>>> format_reg(Reg(RegType.PTR_TO_BTF_ID, btf_name="task_struct", ref_obj_id=2))
'ptr_task_struct(ref_obj_id=2)'
"""

from __future__ import annotations

from enum import IntEnum, IntFlag
from functools import lru_cache
from typing import Any, NamedTuple

from kfunclab.verifier.scalar import Scalar, format_scalar


class RegType(IntEnum):
    """Base register types (``enum bpf_reg_type`` without the flag bits)."""

    NOT_INIT = 0
    SCALAR = 1
    PTR_TO_CTX = 2
    CONST_PTR_TO_MAP = 3
    PTR_TO_MAP_VALUE = 4
    PTR_TO_MAP_KEY = 5
    PTR_TO_STACK = 6
    PTR_TO_PACKET_META = 7
    PTR_TO_PACKET = 8
    PTR_TO_PACKET_END = 9
    PTR_TO_FLOW_KEYS = 10
    PTR_TO_SOCKET = 11
    PTR_TO_SOCK_COMMON = 12
    PTR_TO_TCP_SOCK = 13
    PTR_TO_TP_BUFFER = 14
    PTR_TO_XDP_SOCK = 15
    PTR_TO_BTF_ID = 16
    PTR_TO_MEM = 17
    PTR_TO_BUF = 18
    PTR_TO_FUNC = 19
    CONST_PTR_TO_DYNPTR = 20


class TypeFlag(IntFlag):
    """Type modifiers (``enum bpf_type_flag``) that matter for kfunc checks."""

    NONE = 0
    MAYBE_NULL = 1 << 0  # PTR_MAYBE_NULL
    RDONLY = 1 << 1  # MEM_RDONLY
    RINGBUF = 1 << 2  # MEM_RINGBUF
    USER = 1 << 3  # MEM_USER
    PERCPU = 1 << 4  # MEM_PERCPU
    RCU = 1 << 5  # MEM_RCU
    UNTRUSTED = 1 << 6  # PTR_UNTRUSTED
    TRUSTED = 1 << 7  # PTR_TRUSTED
    ALLOC = 1 << 8  # MEM_ALLOC: a bpf_obj_new object
    NON_OWN_REF = 1 << 9  # NON_OWN_REF

    def __and__(self, other: object) -> TypeFlag:
        """``reg.flags & TypeFlag.X`` as IntFlag computes it, minus the enum machinery when
        the result is a value seen before (checks test flags on every pointer they see)."""
        member = self._value2member_map_.get(int.__and__(self, other))  # type: ignore[arg-type]
        return member if member is not None else IntFlag.__and__(self, other)

    __rand__ = __and__


#: The kernel's reg_type_str() base names (kernel/bpf/log.c).
_TYPE_NAMES = {
    RegType.NOT_INIT: "?",
    RegType.SCALAR: "scalar",
    RegType.PTR_TO_CTX: "ctx",
    RegType.CONST_PTR_TO_MAP: "map_ptr",
    RegType.PTR_TO_MAP_VALUE: "map_value",
    RegType.PTR_TO_MAP_KEY: "map_key",
    RegType.PTR_TO_STACK: "fp",
    RegType.PTR_TO_PACKET: "pkt",
    RegType.PTR_TO_PACKET_META: "pkt_meta",
    RegType.PTR_TO_PACKET_END: "pkt_end",
    RegType.PTR_TO_FLOW_KEYS: "flow_keys",
    RegType.PTR_TO_SOCKET: "sock",
    RegType.PTR_TO_SOCK_COMMON: "sock_common",
    RegType.PTR_TO_TCP_SOCK: "tcp_sock",
    RegType.PTR_TO_TP_BUFFER: "tp_buffer",
    RegType.PTR_TO_XDP_SOCK: "xdp_sock",
    RegType.PTR_TO_BTF_ID: "ptr_",
    RegType.PTR_TO_MEM: "mem",
    RegType.PTR_TO_BUF: "buf",
    RegType.PTR_TO_FUNC: "func",
    RegType.CONST_PTR_TO_DYNPTR: "dynptr_ptr",
}

_ZERO = Scalar.const(0)
_UNKNOWN = Scalar.unknown()


class Reg(NamedTuple):
    """One register's abstract value (``struct bpf_reg_state``).

    A named tuple, like :class:`~kfunclab.verifier.scalar.Scalar`: immutable, hashable,
    compared by value, and built or copied (:meth:`evolve`) at the cost of one tuple, which
    matters on the verifier's hot path (a frozen dataclass sets its 15 fields one by one).
    """

    type: RegType
    flags: int = 0
    off: int = 0  # fixed offset of a pointer
    var: Scalar = _ZERO  # value of a scalar; variable offset of a pointer
    id: int = 0
    ref_obj_id: int = 0
    btf_id: int = 0  # PTR_TO_BTF_ID: the struct's type id
    btf_name: str = ""  # ... and its name, for messages and the log
    local: bool = False  # btf_id names a program-local type (bpf_obj_new objects)
    mem_size: int = 0  # PTR_TO_MEM / PTR_TO_BUF size
    map: Any = None  # MapDecl of CONST_PTR_TO_MAP / PTR_TO_MAP_VALUE
    frameno: int = 0  # PTR_TO_STACK: whose frame
    precise: bool = False
    range: int = 0  # packet pointers: bytes known to be in bounds
    extra: tuple = ()  # kind-specific facts (dynptr type, kptr field, ...)

    @property
    def is_scalar(self) -> bool:
        return self.type is RegType.SCALAR

    @property
    def is_pointer(self) -> bool:
        return self.type not in (RegType.NOT_INIT, RegType.SCALAR)

    @property
    def maybe_null(self) -> bool:
        return bool(self.flags & TypeFlag.MAYBE_NULL)

    @property
    def is_null(self) -> bool:
        """A known zero scalar (the kernel's ``register_is_null``)."""
        return self.type is RegType.SCALAR and self.var.is_const and self.var.const_value == 0

    def evolve(self, **changes: Any) -> Reg:
        """A copy with ``changes`` (``dataclasses.replace`` for this tuple, without its
        per-call introspection).

        >>> Reg(RegType.SCALAR).evolve(precise=True).precise
        True
        """
        values = list(self)
        for name, value in changes.items():
            index = _REG_INDEX.get(name)
            if index is None:
                raise TypeError(f"Reg has no field {name!r}")
            values[index] = value
        return _new_tuple(Reg, values)


_REG_INDEX = {name: i for i, name in enumerate(Reg._fields)}
_new_tuple = tuple.__new__

NOT_INIT = Reg(RegType.NOT_INIT)
UNKNOWN_SCALAR = Reg(RegType.SCALAR, var=_UNKNOWN)


def scalar(value: Scalar, precise: bool = False, id: int = 0) -> Reg:
    return Reg(RegType.SCALAR, var=value, precise=precise, id=id)


_PLAIN_SCALARS: dict[Scalar, Reg] = {}


def plain_scalar(value: Scalar) -> Reg:
    """``Reg(SCALAR, var=value)`` with no id and no precision, shared between equal values."""
    reg = _PLAIN_SCALARS.get(value)
    if reg is None:
        if len(_PLAIN_SCALARS) >= 1 << 16:
            _PLAIN_SCALARS.clear()
        reg = _PLAIN_SCALARS[value] = Reg(RegType.SCALAR, var=value)
    return reg


@lru_cache(maxsize=4096)
def const(value: int) -> Reg:
    """A known scalar (shared: a Reg is immutable, and constants recur on every path)."""
    return Reg(RegType.SCALAR, var=Scalar.const(value))


def stack_pointer(off: int, frameno: int = 0) -> Reg:
    return Reg(RegType.PTR_TO_STACK, off=off, frameno=frameno)


def signed64(value: int) -> int:
    """The low 64 bits of ``value`` as a signed number (a const_value read as s64)."""
    value &= 0xFFFF_FFFF_FFFF_FFFF
    return value - (1 << 64) if value >> 63 else value


def reg_type_str(reg_type: RegType, flags: int = 0) -> str:
    """The kernel's ``reg_type_str()``: ``rcu_ptr_``, ``ptr_or_null_``, ``mem_or_null``, ``fp``."""
    base = _TYPE_NAMES[reg_type]
    postfix = ""
    if flags & TypeFlag.MAYBE_NULL:
        postfix = "or_null_" if reg_type is RegType.PTR_TO_BTF_ID else "_or_null"
    prefix = "".join(
        word
        for flag, word in (
            (TypeFlag.RDONLY, "rdonly_"),
            (TypeFlag.RINGBUF, "ringbuf_"),
            (TypeFlag.USER, "user_"),
            (TypeFlag.PERCPU, "percpu_"),
            (TypeFlag.RCU, "rcu_"),
            (TypeFlag.UNTRUSTED, "untrusted_"),
            (TypeFlag.TRUSTED, "trusted_"),
        )
        if flags & flag
    )
    return f"{prefix}{base}{postfix}"


def snum(value: int) -> str:
    """The kernel log's ``verbose_snum``: decimal within the s16 range, hex outside it."""
    if -(1 << 15) <= value <= (1 << 15) - 1:
        return str(value)
    return hex(value & 0xFFFF_FFFF_FFFF_FFFF)


def unum(value: int) -> str:
    """The kernel log's ``verbose_unum``: decimal up to U16_MAX, hex above."""
    return str(value) if value <= 0xFFFF else hex(value)


def format_reg(reg: Reg, frameno: int = 0) -> str:
    """A register as the 6.18 log prints it after ``R1=`` (``print_reg_state``)."""
    t = reg.type
    if t is RegType.SCALAR:
        linked = reg.off if reg.extra[:1] == ("add_const",) else None  # `id=1+5`: r += K
        return format_scalar(reg.var, precise=reg.precise, id=reg.id, add_const=linked)
    if t is RegType.NOT_INIT:
        return "?"
    text = reg_type_str(t, reg.flags)
    if t is RegType.PTR_TO_STACK:
        if reg.frameno != frameno:
            text += f"[{reg.frameno}]"
        if reg.var.is_const:
            return text + snum(reg.var.const_value + reg.off)
    if t is RegType.PTR_TO_BTF_ID:  # btf_type_name(): "" for an anonymous struct
        text += reg.btf_name if reg.btf_name != "(anon)" else ""
    attrs = []
    if reg.id:
        attrs.append(f"id={reg.id}")
    if reg.ref_obj_id:
        attrs.append(f"ref_obj_id={reg.ref_obj_id}")
    if reg.flags & TypeFlag.NON_OWN_REF:
        attrs.append("non_own_ref")
    map_types = (RegType.CONST_PTR_TO_MAP, RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MAP_KEY)
    if t in map_types and reg.map:
        # map->name: BPF_OBJ_NAME_LEN bytes with the NUL; an inner map's meta has none
        name = reg.map.name if reg.map.log_name is None else reg.map.log_name
        if name:
            attrs.append(f"map={name[:15]}")
        if reg.map.map_type in ("ringbuf", "user_ringbuf"):  # created without key or value
            attrs.append("ks=0,vs=0")
        else:
            attrs.append(f"ks={reg.map.key.size},vs={reg.map.value.size}")
    if reg.off:
        attrs.append(f"off={snum(reg.off)}")
    if t in (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META):
        attrs.append(f"r={unum(reg.range)}")
    if t is RegType.PTR_TO_MEM:
        attrs.append(f"sz={unum(reg.mem_size)}")
    if t is RegType.CONST_PTR_TO_DYNPTR:
        attrs.append(f"type={reg.extra[0] if reg.extra else 'local'}")
    if reg.var.is_const:
        if reg.var.const_value:
            attrs.append(f"imm={snum(reg.var.const_value)}")
    else:
        inner = format_scalar(reg.var)
        # format_scalar gives "scalar(...)": keep the ranges inside the parentheses
        if inner.startswith("scalar(") and inner.endswith(")") and len(inner) > 8:
            attrs.append(inner[7:-1])
    return f"{text}({','.join(attrs)})"
