"""Reference tracking: acquire, NULL-check, release, and what each does to every copy.

The kernel keeps two ids per pointer (``docs/kernel-notes.md``, section 3): ``ref_obj_id`` names
the acquired reference, ``id`` the nullability group. A NULL check refines every register and
spilled slot of the group in every frame; a release invalidates every register and slot holding
the reference.
"""

from __future__ import annotations

from collections.abc import Iterator

from kfunclab.verifier.env import Env
from kfunclab.verifier.records import may_point_to_spin_lock
from kfunclab.verifier.regs import NOT_INIT, UNKNOWN_SCALAR, Reg, RegType, TypeFlag, const
from kfunclab.verifier.result import RefEventKind
from kfunclab.verifier.state import EMPTY_SLOT, Ref, RefKind, StackSlot, VState


def acquire_reference(env: Env, state: VState, insn: int, origin: str,
                      kind: RefKind = RefKind.PTR, where: str = "R0") -> int:
    """``acquire_reference()``: a new id, remembered in ``refs[]`` with the acquiring insn.

    ``where`` names what holds the reference for the views (R0, or an iterator's stack slot).
    """
    ref_id = env.new_id()
    state.refs.append(Ref(ref_id, insn, kind, origin))
    env.recorder.ref_acquired(ref_id, insn, origin, kind.value, where)
    return ref_id


def find_reference(state: VState, ref_id: int) -> Ref | None:
    return next((r for r in state.refs if r.id == ref_id), None)


def release_reference_nomark(state: VState, ref_id: int) -> bool:
    """Drop ``ref_id`` from ``refs[]``; False when it was not held (the caller's message)."""
    for i, ref in enumerate(state.refs):
        if ref.id == ref_id:
            del state.refs[i]
            return True
    return False


def each_reg(state: VState) -> Iterator[tuple[int, str, Reg, object]]:
    """Every register and spilled register of every frame: (frame, place, reg, key).

    ``key`` is the register number (int) or ``("stack", spi)`` for a spilled slot.
    """
    for fno, frame in enumerate(state.frames):
        for regno, reg in enumerate(frame.regs):
            if reg.type is not RegType.NOT_INIT:
                yield fno, f"R{regno}", reg, regno
        for spi, slot in frame.stack.items():
            if slot.types[7] in "rdif" and slot.spilled.type is not RegType.NOT_INIT:
                yield fno, f"fp{-(spi + 1) * 8}", slot.spilled, ("stack", spi)


def set_reg_at(state: VState, fno: int, key: object, reg: Reg) -> None:
    frame = state.frames[fno]
    if isinstance(key, int):
        frame.regs[key] = reg
        return
    _, spi = key  # type: ignore[misc]
    slot = frame.stack[spi]
    if reg.type is RegType.NOT_INIT and slot.types[7] != "r":
        frame.stack[spi] = EMPTY_SLOT
    else:
        # a spill keeps its STACK_SPILL bytes: mark_reg_invalid() changes the spilled register
        # only (NOT_INIT without CAP_PERFMON), so a later narrow fill is still "invalid size of
        # register fill" and an 8-byte fill loads the NOT_INIT register
        frame.stack[spi] = StackSlot(slot.types, reg)


def release_reference(env: Env, state: VState, ref_id: int, insn: int,
                      event: RefEventKind = RefEventKind.RELEASED, where: str = "") -> bool:
    """``release_reference()``: drop the reference and invalidate every copy of the pointer.

    Copies become unknown scalars for a privileged loader and NOT_INIT otherwise
    (``mark_reg_invalid``), which is why a use after release says ``invalid mem access 'scalar'``.
    """
    if not release_reference_nomark(state, ref_id):
        return False
    invalid = UNKNOWN_SCALAR if env.allow_ptr_leaks else NOT_INIT
    for fno, _place, reg, key in list(each_reg(state)):
        if reg.ref_obj_id == ref_id:
            set_reg_at(state, fno, key, invalid)
    env.recorder.ref_event(ref_id, event, insn, where)
    return True


def mark_ptr_or_null_regs(env: Env, state: VState, regno: int, is_null: bool, insn: int) -> None:
    """``mark_ptr_or_null_regs()``: the outcome of ``if rX == 0`` for every copy of rX.

    On the NULL branch an acquire-or-NULL result holds no reference, so it is dropped.
    """
    reg = state.regs[regno]
    group = reg.id
    ref_obj_id = reg.ref_obj_id
    if not group:
        return
    if ref_obj_id and ref_obj_id == group and is_null:
        release_reference_nomark(state, ref_obj_id)
        env.recorder.ref_event(ref_obj_id, RefEventKind.NULL_BRANCH, insn, f"R{regno}")
    elif ref_obj_id and not is_null:
        env.recorder.ref_event(ref_obj_id, RefEventKind.NULL_CHECKED, insn, f"R{regno}")
    for fno, _place, other, key in list(each_reg(state)):
        if other.id == group and other.maybe_null:
            keep = not is_null and may_point_to_spin_lock(env, other)
            set_reg_at(state, fno, key, _refined(other, is_null, keep))


#: mark_ptr_not_null_reg(): a socket map's lookup result is the socket once NULL-checked
_NOT_NULL_SOCKET = {"sockmap": RegType.PTR_TO_SOCKET, "sockhash": RegType.PTR_TO_SOCKET,
                    "xskmap": RegType.PTR_TO_XDP_SOCK}


def not_null_socket(reg: Reg) -> Reg | None:
    """The socket a NULL-checked lookup in a sockmap, sockhash or xskmap points to
    (None for every other register)."""
    if reg.type is not RegType.PTR_TO_MAP_VALUE or reg.map is None:
        return None
    new_type = _NOT_NULL_SOCKET.get(reg.map.map_type)
    if new_type is None:
        return None
    return reg.evolve(type=new_type, map=None, flags=reg.flags & ~TypeFlag.MAYBE_NULL, id=0)


def _refined(reg: Reg, is_null: bool, keep_id: bool = False) -> Reg:
    """``mark_ptr_or_null_reg()`` for one register."""
    if is_null:
        return const(0)
    sock = not_null_socket(reg)
    if sock is not None:
        return sock
    flags = reg.flags & ~TypeFlag.MAYBE_NULL
    # the id only served the NULL check, except where it names a bpf_spin_lock
    # (reg_may_point_to_spin_lock()): map values and objects holding one
    return reg.evolve(flags=flags, id=reg.id if keep_id else 0)
