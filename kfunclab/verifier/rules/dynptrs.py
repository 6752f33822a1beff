"""Dynptrs: the dynptr helpers and the dynptr side of kfunc calls (Linux 6.18).

``process_dynptr_func()`` is shared by helpers (``ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_* |
MEM_UNINIT / MEM_RDONLY / OBJ_RELEASE``) and kfuncs (``struct bpf_dynptr *``, ``__uninit``):
an uninitialised argument gets a new dynptr on its two stack slots, an initialised one must be a
whole dynptr of the expected type. The helpers: ``bpf_dynptr_from_mem`` (a local dynptr over a
map value), ``bpf_ringbuf_reserve_dynptr`` (a ring-buffer dynptr holding a reference, even when
the reservation fails), ``bpf_ringbuf_submit_dynptr`` / ``_discard_dynptr`` (its release),
``bpf_dynptr_read`` / ``_write`` and ``bpf_dynptr_data`` (a slice: ``mem_or_null`` of a constant
size, tied to the dynptr). The stack side (slots, destruction, release) is
:mod:`kfunclab.verifier.dynptr_slots`.

Registered like :mod:`~kfunclab.verifier.rules.helpers`' own handlers, through
:data:`DYNPTR_HELPERS` (name without ``bpf_`` -> handler).
"""

from __future__ import annotations

from typing import Any

from kfunclab.isa.helpers import MAP_TYPES
from kfunclab.isa.insn import Call
from kfunclab.progtypes import ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.dynptr_slots import (
    dynptr_get_spi,
    first_slot,
    frame_of,
    mark_stack_slots_dynptr,
    slice_reg,
    unmark_stack_slots_dynptr,
)
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.precision import mark_chain_precision
from kfunclab.verifier.regs import Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.rules.helper_args import clobber_caller_saved, const_size, int_return
from kfunclab.verifier.rules.kptrs import READ, WRITE
from kfunclab.verifier.rules.memory import check_helper_mem_access, check_mem_access
from kfunclab.verifier.state import VState

_EINVAL, _EPERM = 22, 1
#: the kfuncs that construct a dynptr of a fixed type (check_kfunc_args, KF_ARG_PTR_TO_DYNPTR)
CONSTRUCTORS = {"bpf_dynptr_from_skb": "skb", "bpf_dynptr_from_xdp": "xdp",
                "bpf_dynptr_from_skb_meta": "skb_meta"}
#: may_access_direct_pkt_data(env, NULL, BPF_WRITE): the program types that may write packets
_PKT_WRITERS = frozenset({ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.XDP,
                          ProgType.LWT_XMIT, ProgType.SK_SKB, ProgType.SK_MSG,
                          ProgType.CGROUP_SOCKOPT})
#: compatible types of ARG_PTR_TO_MEM (check_reg_type's mem_types), as the message lists them
_MEM_EXPECTED = "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
_MEM_TYPES = frozenset({RegType.PTR_TO_STACK, RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META,
                        RegType.PTR_TO_MAP_KEY, RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MEM,
                        RegType.PTR_TO_BUF})


# --- process_dynptr_func(): helpers and kfuncs ---------------------------------------------------
def process_dynptr_func(env: Env, state: VState, regno: int, *, dtype: str | None, uninit: bool,
                        rdonly: bool, origin: str, clone_ref: int = 0, parent: int = 0
                        ) -> tuple[int, str, int]:
    """``process_dynptr_func()``: (dynptr id, type, reference) of the dynptr at R``regno``.

    ``dtype`` None takes any type (``ARG_PTR_TO_DYNPTR``); ``uninit`` constructs one of
    ``dtype`` (``MEM_UNINIT``); ``rdonly`` lets a callback's const dynptr stand (``MEM_RDONLY``).
    """
    reg = state.regs[regno]
    arg = regno - 1
    if reg.type not in (RegType.PTR_TO_STACK, RegType.CONST_PTR_TO_DYNPTR):
        raise Reject(msg.DYNPTR_NOT_ON_STACK.format(arg=arg), errno=_EINVAL)
    if uninit:
        if reg.type is RegType.CONST_PTR_TO_DYNPTR:
            raise Reject(msg.DYNPTR_EXPECTED_UNINIT, errno=_EINVAL)
        spi, note = dynptr_get_spi(reg)
        if spi is None:
            raise Reject(msg.DYNPTR_EXPECTED_UNINIT, (note,), errno=_EINVAL)
        for off in (0, 8):  # "we write BPF_DW bits (8 bytes) at a time"
            check_mem_access(env, state, env.insn_idx, regno, off, 8, WRITE, -1)
        assert dtype is not None
        dyn_id, ref = mark_stack_slots_dynptr(env, state, state.regs[regno], dtype,
                                              env.insn_idx, origin, clone_ref, parent)
        return dyn_id, dtype, ref
    if reg.type is RegType.CONST_PTR_TO_DYNPTR:
        if not rdonly:
            raise Reject(msg.DYNPTR_CONST_MUTATED, errno=_EINVAL)
        have = reg.extra[0] if reg.extra else "local"
        found = (reg.id, have, reg.ref_obj_id)
    else:
        spi, note = dynptr_get_spi(reg)
        slot = first_slot(frame_of(state, reg), spi) if spi is not None else None
        if slot is None:
            raise Reject(msg.DYNPTR_EXPECTED_INIT.format(arg=arg), (note,) if note else (),
                         errno=_EINVAL)
        found = (slot.spilled.id, slot.spilled.extra[0], slot.spilled.ref_obj_id)
    if dtype is not None and found[1] != dtype:
        raise Reject(msg.DYNPTR_WRONG_TYPE.format(type=dtype, arg=arg), errno=_EINVAL)
    return found


# --- kfuncs --------------------------------------------------------------------------------------
def kfunc_dynptr_arg(env: Env, state: VState, meta: Any, regno: int, uninit: bool) -> None:
    """``check_kfunc_args()``, KF_ARG_PTR_TO_DYNPTR: constructors (``__uninit``: from_skb,
    from_xdp, clone) and every kfunc taking an initialised dynptr (any type)."""
    name = meta.kfunc.name
    reg = state.regs[regno]
    dtype, clone_ref, parent = None, 0, 0
    if uninit and reg.type is RegType.CONST_PTR_TO_DYNPTR:
        # a const dynptr makes the argument MEM_RDONLY, which MEM_UNINIT excludes
        raise Reject(msg.DYNPTR_FLAGS_MISCONFIGURED, errno=14)
    if uninit:
        dtype = CONSTRUCTORS.get(name)
        if name == "bpf_dynptr_clone" and meta.dynptr_id:
            dtype = meta.dynptr[1] if meta.dynptr else "local"
            clone_ref, parent = meta.dynptr_ref, meta.dynptr_id
        if dtype is None and reg.type is RegType.PTR_TO_STACK:
            raise Unsupported(f"{name}: the type of the dynptr it constructs is not modelled")
    dyn_id, have, ref = process_dynptr_func(
        env, state, regno, dtype=dtype, uninit=uninit,
        rdonly=reg.type is RegType.CONST_PTR_TO_DYNPTR, origin=name, clone_ref=clone_ref,
        parent=parent)
    if not uninit:  # meta->initialized_dynptr
        meta.dynptr_id, meta.dynptr_ref = dyn_id, ref
        spi = dynptr_get_spi(reg)[0] if reg.type is RegType.PTR_TO_STACK else -1
        meta.dynptr = (spi if spi is not None else -1, have)


def kfunc_slice(env: Env, meta: Any) -> Reg:
    """``check_kfunc_call()`` for bpf_dynptr_slice(_rdwr): ``PTR_TO_MEM`` of the ``__szk``
    size, flagged with the dynptr's type, tied to it by ``dynptr_id`` (no reference: even a
    ring-buffer dynptr's kfunc slices are not invalidated through one)."""
    rdwr = meta.kfunc.name == "bpf_dynptr_slice_rdwr"
    if rdwr and env.profile.dynptr_slice_rdwr_refused:
        raise Reject(msg.DYNPTR_SLICE_RDWR_REFUSED, errno=_EPERM)
    if rdwr and env.prog_type.prog_type not in _PKT_WRITERS:
        raise Reject(msg.DYNPTR_SLICE_RDWR_NO_WRITES, errno=_EINVAL)
    dtype = meta.dynptr[1] if meta.dynptr else "local"
    return slice_reg(meta.arg_constant or 0, meta.dynptr_id, dtype, maybe_null=False,
                     rdonly=not rdwr)


# --- helper arguments (check_func_arg) -----------------------------------------------------------
def _init(state: VState, regno: int) -> Reg:
    reg = state.regs[regno]
    if reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
    return reg


def _anything(env: Env, state: VState, regno: int) -> None:
    """ARG_ANYTHING: initialised, and no pointer unless the loader may leak them."""
    reg = _init(state, regno)
    if reg.is_pointer and not env.allow_ptr_leaks:
        raise Reject(msg.ARG_LEAKS_ADDR.format(regno=regno))


def _mismatch(reg: Reg, regno: int, expected: str) -> Reject:
    return Reject(msg.ARG_TYPE_MISMATCH.format(regno=regno, type=reg_type_str(reg.type, reg.flags),
                                               expected=expected))


def _mem_type(state: VState, regno: int, rdonly: bool) -> None:
    """check_reg_type() for ARG_PTR_TO_MEM (``rdonly``: ``| MEM_RDONLY``)."""
    reg = _init(state, regno)
    flags = reg.flags & ~(TypeFlag.RDONLY if rdonly else 0)
    ok = reg.type in _MEM_TYPES and (not flags or (
        reg.type is RegType.PTR_TO_MEM and flags == TypeFlag.RINGBUF))
    if reg.type is RegType.PTR_TO_MEM and reg.extra[2:3] not in ((), ("",)):
        ok = False  # a kfunc slice's type carries DYNPTR_TYPE_*: not one of mem_types
    if reg.type is RegType.PTR_TO_BTF_ID and flags == TypeFlag.TRUSTED:
        ok = True
    if not ok:
        raise _mismatch(reg, regno, _MEM_EXPECTED)


def _mem_size(env: Env, state: VState, regno: int, kind: str, raw: bool) -> None:
    """ARG_CONST_SIZE_OR_ZERO after a memory argument: ``check_mem_size_reg()``."""
    size = const_size(state, regno, True)
    exact = state.regs[regno].var.is_const  # a variable size turns raw mode off (meta = NULL)
    check_helper_mem_access(env, state, regno - 1, size, kind, True, raw_mode=raw and exact)
    mark_chain_precision(env, state, {regno})


def _dynptr(env: Env, state: VState, regno: int, name: str, *, dtype: str | None = None,
            uninit: bool = False, rdonly: bool = False, release: bool = False
            ) -> tuple[int, str, int]:
    """check_func_arg() for ARG_PTR_TO_DYNPTR: type, offset, release, process_dynptr_func()."""
    reg = _init(state, regno)
    if reg.type not in (RegType.PTR_TO_STACK, RegType.CONST_PTR_TO_DYNPTR):
        raise _mismatch(reg, regno, msg.DYNPTR_ARG_EXPECTED)
    if reg.type is RegType.CONST_PTR_TO_DYNPTR:  # check_func_arg_reg_off()
        if release and reg.off:
            raise Reject(msg.KFUNC_BAD_OFFSET.format(regno=regno), errno=_EINVAL)
        what = reg_type_str(reg.type, reg.flags)
        if reg.off < 0:
            raise Reject(f"negative offset {what} ptr R{regno} off={reg.off} disallowed")
        if reg.off:
            raise Reject(f"dereference of modified {what} ptr R{regno} off={reg.off} disallowed")
    if release:
        if reg.type is RegType.CONST_PTR_TO_DYNPTR:
            raise Reject(msg.DYNPTR_RELEASE_CONST, errno=_EINVAL)
        spi, _ = dynptr_get_spi(reg)
        slot = frame_of(state, reg).stack.get(spi) if spi is not None else None
        # the kernel reads the slot's ref_obj_id whatever the slot holds (a spilled reference
        # passes here, and is refused by process_dynptr_func() next)
        if slot is None or not slot.spilled.ref_obj_id:
            raise Reject(msg.DYNPTR_UNACQUIRED.format(regno=regno), errno=_EINVAL)
    return process_dynptr_func(env, state, regno, dtype=dtype, uninit=uninit, rdonly=rdonly,
                               origin=name)


# --- the helpers ---------------------------------------------------------------------------------
def _h_dynptr_from_mem(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_dynptr_from_mem(data, size, flags, ptr)``: a local dynptr over a map value."""
    _mem_type(state, 1, rdonly=False)
    _mem_size(env, state, 2, WRITE, raw=True)
    _anything(env, state, 3)
    _dynptr(env, state, 4, "bpf_dynptr_from_mem", dtype="local", uninit=True)
    data = state.regs[1]
    if data.type is not RegType.PTR_TO_MAP_VALUE:
        raise Reject(msg.DYNPTR_FROM_MEM_TYPE.format(type=reg_type_str(data.type, data.flags)))
    int_return(state)


def _h_ringbuf_reserve_dynptr(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_ringbuf_reserve_dynptr(map, size, flags, ptr)``: the dynptr holds a reference
    whether or not the reservation succeeds, so it must be submitted or discarded."""
    rb = _init(state, 1)
    if rb.type is not RegType.CONST_PTR_TO_MAP:
        raise _mismatch(rb, 1, "map_ptr")
    _anything(env, state, 2)
    _anything(env, state, 3)
    _dynptr(env, state, 4, "bpf_ringbuf_reserve_dynptr", dtype="ringbuf", uninit=True)
    if rb.map is not None and rb.map.map_type != "ringbuf":  # check_map_func_compatibility()
        raise Reject(msg.MAP_TYPE_FOR_FUNC.format(
            map_type=MAP_TYPES.get(rb.map.map_type, rb.map.map_type),
            func=f"bpf_ringbuf_reserve_dynptr#{insn.imm}"), errno=_EINVAL)
    int_return(state)


def _h_ringbuf_release_dynptr(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_ringbuf_submit_dynptr`` / ``bpf_ringbuf_discard_dynptr(ptr, flags)``."""
    name = insn.name or "bpf_ringbuf_submit_dynptr"
    _dynptr(env, state, 1, name, dtype="ringbuf", release=True)
    _anything(env, state, 2)
    unmark_stack_slots_dynptr(env, state, state.regs[1], idx)
    clobber_caller_saved(state)


def _h_dynptr_read(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_dynptr_read(dst, len, src, offset, flags)``."""
    _mem_type(state, 1, rdonly=False)
    _mem_size(env, state, 2, WRITE, raw=True)
    _dynptr(env, state, 3, "bpf_dynptr_read", rdonly=True)
    _anything(env, state, 4)
    _anything(env, state, 5)
    int_return(state)


def _h_dynptr_write(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_dynptr_write(dst, offset, src, len, flags)``: writing an skb dynptr may move the
    packet, so packet pointers and skb slices die (``changes_data``)."""
    _, dtype, _ = _dynptr(env, state, 1, "bpf_dynptr_write", rdonly=True)
    _anything(env, state, 2)
    _mem_type(state, 3, rdonly=True)
    _mem_size(env, state, 4, READ, raw=False)
    _anything(env, state, 5)
    if dtype in ("skb", "skb_meta"):
        from kfunclab.verifier.helper_protos import clear_packet_pointers

        clear_packet_pointers(state)
    int_return(state)


def _h_dynptr_data(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_dynptr_data(ptr, offset, len)``: ``mem_or_null`` of ``len`` (a constant) bytes,
    tied to the dynptr (``dynptr_id``) and to its reference (``ref_obj_id``)."""
    dyn_id, _, ref = _dynptr(env, state, 1, "bpf_dynptr_data", rdonly=True)
    _anything(env, state, 2)
    size = _init(state, 3)
    if size.type is not RegType.SCALAR:
        raise _mismatch(size, 3, "scalar")
    if not size.var.is_const:  # ARG_CONST_ALLOC_SIZE_OR_ZERO
        raise Reject(msg.HELPER_ARG_NOT_CONST.format(regno=3))
    mark_chain_precision(env, state, {3})
    clobber_caller_saved(state)
    state.regs[0] = slice_reg(size.var.const_value, dyn_id, "", maybe_null=True,
                              reg_id=env.new_id(), ref=ref)


DYNPTR_HELPERS = {
    "dynptr_from_mem": _h_dynptr_from_mem,
    "ringbuf_reserve_dynptr": _h_ringbuf_reserve_dynptr,
    "ringbuf_submit_dynptr": _h_ringbuf_release_dynptr,
    "ringbuf_discard_dynptr": _h_ringbuf_release_dynptr,
    "dynptr_read": _h_dynptr_read,
    "dynptr_write": _h_dynptr_write,
    "dynptr_data": _h_dynptr_data,
}
