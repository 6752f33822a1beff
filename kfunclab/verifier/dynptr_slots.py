"""Dynptrs on the stack: how ``struct bpf_dynptr`` lives in two stack slots (Linux 6.18).

A dynptr is 16 bytes of ``STACK_DYNPTR`` (``d``): the higher slot ``spi`` is the first slot
(``dynptr.first_slot``), ``spi - 1`` the second. kfunclab keeps each slot's facts in its
spilled register: ``id`` is the dynptr's id (``reg->id``, which slices name as
``dynptr_id``), ``ref_obj_id`` the reference of a ring-buffer dynptr (shared by its clones),
and ``extra`` is ``(type, 0, dynptr_id)`` on the first slot and ``(type, 1, dynptr_id)`` on the
second (``dynptr_id``, as the log prints it: the dynptr's own id, or a clone's parent's).

A slice (``bpf_dynptr_data``, ``bpf_dynptr_slice``) is ``PTR_TO_MEM`` whose ``extra`` is
``("dynptr", dynptr_id, type_flag)``: ``type_flag`` is the ``DYNPTR_TYPE_*`` flag the kernel puts
in the register type of a kfunc slice (``""`` for the helper's, which has none). Both facts
decide which registers die when the dynptr does: :func:`destroy_if_dynptr_stack_slot` kills
only flagless slices, ``clear_all_pkt_pointers()`` only skb/xdp slices.

>>> slot_reg("local", 3, 0, first=True).extra
('local', 0, 3)
>>> slice_dynptr_id(slice_reg(16, 3, "", maybe_null=True, reg_id=4))
3
"""

from __future__ import annotations

from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject
from kfunclab.verifier.references import acquire_reference, release_reference
from kfunclab.verifier.regs import NOT_INIT, UNKNOWN_SCALAR, Reg, RegType, TypeFlag
from kfunclab.verifier.state import EMPTY_SLOT, FuncState, StackSlot, VState

_EINVAL = 22
#: dynptr_type_refcounted(): only ring-buffer dynptrs hold a reference
REFCOUNTED = frozenset({"ringbuf"})
#: reg_is_dynptr_slice_pkt(): slices that clear_all_pkt_pointers() kills
PACKET_TYPES = frozenset({"skb", "xdp", "skb_meta"})
DYNPTR = "dddddddd"


def slot_reg(dtype: str, dyn_id: int, ref: int, first: bool, parent: int = 0) -> Reg:
    """The register ``__mark_dynptr_reg()`` leaves in one of a dynptr's two slots (``parent``:
    the dynptr a clone was made from, which the log prints as its ``dynptr_id``)."""
    return Reg(RegType.SCALAR, id=dyn_id, ref_obj_id=ref,
               extra=(dtype, 0 if first else 1, parent or dyn_id))


def slice_reg(size: int, dyn_id: int, type_flag: str, *, maybe_null: bool, reg_id: int = 0,
              ref: int = 0, rdonly: bool = False) -> Reg:
    """A slice of the dynptr ``dyn_id``: ``PTR_TO_MEM`` of ``size`` bytes."""
    flags = (TypeFlag.MAYBE_NULL if maybe_null else 0) | (TypeFlag.RDONLY if rdonly else 0)
    return Reg(RegType.PTR_TO_MEM, flags=int(flags), mem_size=size, id=reg_id, ref_obj_id=ref,
               extra=("dynptr", dyn_id, type_flag))


def slice_dynptr_id(reg: Reg) -> int:
    """The ``dynptr_id`` of a slice (0 for any other register)."""
    return reg.extra[1] if reg.type is RegType.PTR_TO_MEM and reg.extra[:1] == ("dynptr",) \
        else 0


def is_packet_slice(reg: Reg) -> bool:
    """``reg_is_dynptr_slice_pkt()``: a kfunc slice of an skb or xdp dynptr."""
    return slice_dynptr_id(reg) != 0 and reg.extra[2] in PACKET_TYPES


def c_spi(off: int) -> int:
    """``__get_spi()``: ``(-off - 1) / 8`` with C's truncating division."""
    value = -off - 1
    return value // 8 if value >= 0 else -((-value) // 8)


def dynptr_get_spi(reg: Reg) -> tuple[int | None, str]:
    """``dynptr_get_spi()`` of a stack pointer: (the first slot, "") or (None, the line the
    kernel logs). A slot beyond the allocated stack is returned: callers decide (-ERANGE)."""
    if not reg.var.is_const:
        return None, msg.STACK_OBJ_NOT_CONST.format(kind="dynptr")
    off = reg.off + reg.var.const_value
    if off >= 1 << 63:
        off -= 1 << 64
    spi = c_spi(off)
    if off % 8 or spi + 1 < 2:
        return None, msg.STACK_OBJ_AT_OFFSET.format(kind="dynptr", off=off)
    return spi, ""


def frame_of(state: VState, reg: Reg) -> FuncState:
    return state.frames[reg.frameno] if reg.frameno < len(state.frames) else state.cur


def first_slot(frame: FuncState, spi: int) -> StackSlot | None:
    """``is_dynptr_reg_valid_init()`` on slot ``spi``: the first slot of a whole dynptr."""
    slot = frame.stack.get(spi)
    second = frame.stack.get(spi - 1)
    if slot is None or second is None or slot.types != DYNPTR or second.types != DYNPTR:
        return None
    return slot if slot.spilled.extra[1:2] == (0,) else None


def _invalid(env: Env) -> Reg:
    """``mark_reg_invalid()``."""
    return UNKNOWN_SCALAR if env.allow_ptr_leaks else NOT_INIT


def _each_reg(state: VState):
    """Every register and spilled register (STACK_SPILL only) of every frame, with a setter."""
    for frame in state.frames:
        for regno, reg in enumerate(frame.regs):
            yield reg, frame, regno
        for spi, slot in frame.stack.items():
            if slot.types[7] == "r":
                yield slot.spilled, frame, ("stack", spi)


def _set(frame: FuncState, key: object, reg: Reg) -> None:
    if isinstance(key, int):
        frame.regs[key] = reg
    else:
        spi = key[1]  # type: ignore[index]
        frame.stack[spi] = StackSlot(frame.stack[spi].types, reg)


def destroy_if_dynptr_stack_slot(env: Env, state: VState, frame: FuncState, spi: int) -> None:
    """``destroy_if_dynptr_stack_slot()``: a write over either slot of a dynptr destroys it
    (both slots become invalid, its flagless slices die); a ring-buffer dynptr may not be."""
    slot = frame.stack.get(spi)
    if slot is None or slot.types[0] != "d":
        return
    if slot.spilled.extra[1:2] == (1,):
        spi += 1
    first = frame.stack[spi]
    if first.spilled.extra[0] in REFCOUNTED:
        raise Reject(msg.DYNPTR_OVERWRITE_REF, errno=_EINVAL)
    frame.stack[spi] = EMPTY_SLOT
    frame.stack[spi - 1] = EMPTY_SLOT
    dyn_id = first.spilled.id
    dead = _invalid(env)
    for reg, holder, key in list(_each_reg(state)):
        # "Dynptr slices are only PTR_TO_MEM_OR_NULL and PTR_TO_MEM": a flagged (kfunc) or
        # read-only slice keeps its type, as the kernel's exact type comparison does
        if (reg.type is RegType.PTR_TO_MEM and not reg.flags & ~TypeFlag.MAYBE_NULL
                and reg.extra == ("dynptr", dyn_id, "")):
            _set(holder, key, dead)


def mark_stack_slots_dynptr(env: Env, state: VState, reg: Reg, dtype: str, idx: int,
                            origin: str, clone_ref: int = 0, parent: int = 0) -> tuple[int, int]:
    """``mark_stack_slots_dynptr()``: a new dynptr of ``dtype`` where ``reg`` points.

    Whatever dynptr was there is destroyed first. A ring-buffer dynptr acquires a reference
    (a clone shares its parent's). Returns (dynptr id, reference).
    """
    frame = frame_of(state, reg)
    spi, _ = dynptr_get_spi(reg)
    assert spi is not None
    destroy_if_dynptr_stack_slot(env, state, frame, spi)
    destroy_if_dynptr_stack_slot(env, state, frame, spi - 1)
    dyn_id = env.new_id()
    ref = 0
    if dtype in REFCOUNTED:
        ref = clone_ref or acquire_reference(env, state, idx, origin,
                                             where=f"fp{-(spi + 1) * 8}")
    frame.stack[spi] = StackSlot(DYNPTR, slot_reg(dtype, dyn_id, ref, True, parent))
    frame.stack[spi - 1] = StackSlot(DYNPTR, slot_reg(dtype, dyn_id, ref, False, parent))
    return dyn_id, ref


def unmark_stack_slots_dynptr(env: Env, state: VState, reg: Reg, idx: int) -> None:
    """``unmark_stack_slots_dynptr()``: the release of a ring-buffer dynptr (submit/discard)
    also kills its clones and every register holding the reference (its slices)."""
    frame = frame_of(state, reg)
    spi, _ = dynptr_get_spi(reg)
    assert spi is not None
    first = frame.stack[spi].spilled
    if first.extra[0] not in REFCOUNTED:
        frame.stack[spi] = frame.stack[spi - 1] = EMPTY_SLOT
        return
    ref = first.ref_obj_id
    for other, slot in list(frame.stack.items()):
        if slot.types == DYNPTR and slot.spilled.ref_obj_id == ref \
                and slot.spilled.extra[1:2] == (0,):
            frame.stack[other] = frame.stack[other - 1] = EMPTY_SLOT
    release_reference(env, state, ref, idx, where=f"fp{-(spi + 1) * 8}")
