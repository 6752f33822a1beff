"""State equivalence for pruning: ``states_equal()``, ``regsafe()``, ``stacksafe()``.

``old`` is a stored checkpoint already proven safe (or being explored, for loop detection);
``cur`` is the state arriving at the same instruction. ``old`` *subsumes* ``cur`` when every
register and slot that is still live in ``old`` admits ``cur``'s value: imprecise scalars admit
any scalar, precise ones only values within their range, pointers must match exactly up to a
consistent renaming of ids.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from kfunclab.verifier.regs import Reg, RegType
from kfunclab.verifier.scalar import Scalar, within
from kfunclab.verifier.state import EMPTY_SLOT, StackSlot, VState


class Exactness(Enum):
    NOT_EXACT = 0
    EXACT = 1
    RANGE_WITHIN = 2


# enum members bound once: a class-attribute lookup of a member costs ~0.1 us on 3.11, and
# these comparisons run for every live register at every prune point
_EXACT = Exactness.EXACT
_NOT_EXACT = Exactness.NOT_EXACT
_NOT_INIT = RegType.NOT_INIT
_SCALAR = RegType.SCALAR
_ADD_CONST = ("add_const",)


class IdMap:
    """``struct bpf_idmap``: a consistent old-id -> cur-id renaming built during one compare."""

    __slots__ = ("cur_to_old", "old_to_cur", "tmp")

    def __init__(self) -> None:
        self.old_to_cur: dict[int, int] = {}
        self.cur_to_old: dict[int, int] = {}
        self.tmp = 1 << 40

    def check(self, old_id: int, cur_id: int) -> bool:
        """``check_ids()``: both zero, or a mapping consistent with earlier pairs."""
        if bool(old_id) != bool(cur_id):
            return False
        if not old_id:
            return True
        mapped = self.old_to_cur.get(old_id)
        if mapped is not None:
            return mapped == cur_id
        if cur_id in self.cur_to_old:
            return False
        self.old_to_cur[old_id] = cur_id
        self.cur_to_old[cur_id] = old_id
        return True

    def check_scalar(self, old_id: int, cur_id: int) -> bool:
        """``check_scalar_ids()``: a missing id gets a fresh one, so it maps uniquely."""
        if not old_id:
            self.tmp += 1
            old_id = self.tmp
        if not cur_id:
            self.tmp += 1
            cur_id = self.tmp
        return self.check(old_id, cur_id)


def same_value(a: Reg, b: Reg) -> bool:
    """Everything ``regs_exact()`` memcmp()s before ``id``: type, offsets, bounds, target."""
    if a is b:
        return True
    return (a.type == b.type and a.flags == b.flags and a.off == b.off and a.var == b.var
            and a.btf_id == b.btf_id and a.local == b.local and a.mem_size == b.mem_size
            and a.map is b.map and a.frameno == b.frameno and a.range == b.range
            and a.extra == b.extra)


def regs_exact(old: Reg, cur: Reg, idmap: IdMap) -> bool:
    return (same_value(old, cur) and idmap.check(old.id, cur.id)
            and idmap.check(old.ref_obj_id, cur.ref_obj_id))


_MEMLIKE = frozenset({RegType.PTR_TO_MAP_KEY, RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MEM,
                      RegType.PTR_TO_BUF, RegType.PTR_TO_TP_BUFFER})
_PACKET = frozenset({RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META})


def regsafe(old: Reg, cur: Reg, idmap: IdMap, exact: Exactness) -> bool:
    """Does ``old`` admit ``cur``?"""
    t = old.type
    if t is _NOT_INIT:
        return exact is not _EXACT or cur.type is _NOT_INIT
    if exact is _EXACT:
        return regs_exact(old, cur, idmap)
    if t != cur.type or old.flags != cur.flags:
        return False
    if t is _SCALAR:
        if not (old.id or cur.id or old.ref_obj_id or cur.ref_obj_id):
            # no ids to map (the common case): regs_exact() is same_value(), which implies
            # within(), and check_scalar_ids() of two fresh ids always holds
            return (not old.precise and exact is _NOT_EXACT) or within(old.var, cur.var)
        if regs_exact(old, cur, idmap):
            return True
        if not old.precise and exact is _NOT_EXACT:
            return True
        # BPF_ADD_CONST in the ids: a register linked by "r += K" (and its K) only admits the same
        # (BPF_ADD_CONST64 and BPF_ADD_CONST32 differ: the whole flag, linkconst.py)
        o_flag = old.extra if old.extra[:1] == _ADD_CONST else ()
        if o_flag != (cur.extra if cur.extra[:1] == _ADD_CONST else ()) \
                or (o_flag and old.off != cur.off):
            return False
        return idmap.check_scalar(old.id, cur.id) and within(old.var, cur.var)
    if t in _MEMLIKE:
        # extra: a dynptr slice's dynptr_id and type flag, which the kernel memcmp()s
        return (old.off == cur.off and old.map is cur.map and old.mem_size == cur.mem_size
                and old.btf_id == cur.btf_id and old.extra == cur.extra
                and within(old.var, cur.var)
                and idmap.check(old.id, cur.id) and idmap.check(old.ref_obj_id, cur.ref_obj_id))
    if t in _PACKET:
        if old.range > cur.range or old.off != cur.off:
            return False
        return idmap.check(old.id, cur.id) and within(old.var, cur.var)
    return regs_exact(old, cur, idmap)


_MISC_SCALAR = Reg(RegType.SCALAR, var=Scalar.unknown())


def _scalar_for_slot(slot: StackSlot | None, uninit: bool) -> Reg | None:
    """``scalar_reg_for_stack()``: a spilled scalar, or an unknown scalar for an all-MISC slot
    (``is_stack_all_misc()``: uninitialized bytes count as MISC where the loader may read
    uninitialized stack). ``None``: a slot the current stack does not hold."""
    if slot is None:
        return None
    if slot.types == "rrrrrrrr" and slot.spilled.type is RegType.SCALAR:
        return slot.spilled
    if slot.types == "mmmmmmmm" or (uninit and not slot.types.strip("m?")):
        return _MISC_SCALAR
    return None


def stacksafe(old_stack: dict[int, StackSlot], cur_stack: dict[int, StackSlot],
              idmap: IdMap, exact: Exactness, live_slots: frozenset[int] | None,
              uninit: bool = False, cur_allocated: int = 0) -> bool:
    """Every live byte of ``old``'s stack admits ``cur``'s.

    ``uninit``: ``env->allow_uninit_stack`` (a privileged loader): a MISC byte of ``old`` admits
    anything, since such a loader may read uninitialized stack as MISC anyway; an INVALID slot
    of ``cur`` inside its ``cur_allocated`` bytes then reads as an unknown scalar."""
    for spi, oslot in old_stack.items():
        if live_slots is not None and spi not in live_slots and exact is not Exactness.EXACT:
            continue
        cslot = cur_stack.get(spi)
        if cslot is None and spi * 8 < cur_allocated:
            cslot = EMPTY_SLOT  # INVALID, but inside the allocated stack
        if exact is not Exactness.EXACT:
            if uninit and not oslot.types.strip("m?"):
                continue  # every byte is INVALID or MISC: each one admits anything
            o_reg = _scalar_for_slot(oslot, uninit)
            c_reg = _scalar_for_slot(cslot, uninit)
            if o_reg is not None and c_reg is not None:
                if not regsafe(o_reg, c_reg, idmap, exact):
                    return False
                continue
        if cslot is None:
            cslot = EMPTY_SLOT
        for j in range(8):
            ot, ct = oslot.types[j], cslot.types[j]
            if exact is Exactness.EXACT:
                if ot != ct:
                    return False
                continue
            if ot == "?":
                continue
            if ot == "m" and (ct == "0" or uninit):
                continue
            if ot != ct:
                return False
        kind = oslot.types[7]
        if kind == "r":
            if not regsafe(oslot.spilled, cslot.spilled, idmap, exact):
                return False
        elif kind in "dif":
            o, c = oslot.spilled, cslot.spilled
            # an iterator's depth is not compared (it would keep loops from converging)
            # an iterator's depth is not compared, nor a dynptr's dynptr_id (a clone's parent)
            same = o.extra[:2] == c.extra[:2] if kind in "id" else o.extra == c.extra
            if not same or o.flags != c.flags or not idmap.check(o.ref_obj_id, c.ref_obj_id) \
                    or not idmap.check(o.id, c.id):
                return False
    return True


def refsafe(old: VState, cur: VState, idmap: IdMap) -> bool:
    if len(old.refs) != len(cur.refs):
        return False
    if (old.active_rcu_lock != cur.active_rcu_lock
            or old.active_preempt_locks != cur.active_preempt_locks
            or old.active_locks != cur.active_locks):
        return False
    if (old.active_irq_id or cur.active_irq_id) and \
            not idmap.check(old.active_irq_id, cur.active_irq_id):
        return False
    for o, c in zip(old.refs, cur.refs, strict=True):
        if o.kind != c.kind or not idmap.check(o.id, c.id):
            return False
        if o.owner != c.owner:  # a lock's ptr: the map, or the program BTF
            return False
    return True


_ALL_REGS = tuple(range(11))


_REGS_IN: dict[int, tuple[int, ...]] = {}


def _regs_in(mask: int) -> tuple[int, ...]:
    """The register numbers whose bit is set in ``mask`` (R0-R10)."""
    regs = _REGS_IN.get(mask)
    if regs is None:
        regs = _REGS_IN[mask] = tuple(r for r in _ALL_REGS if (mask >> r) & 1)
    return regs


def states_equal(old: VState, cur: VState, live_regs: int, live_slots: frozenset[int] | None,
                 exact: Exactness = Exactness.NOT_EXACT, uninit: bool = False,
                 regs_before: Callable[[int], int] | None = None) -> bool:
    """``states_equal()``: may ``cur`` be pruned because ``old`` covers it?

    ``live_regs`` is a bit mask of the registers live before the instruction; ``uninit`` is
    ``env->allow_uninit_stack`` (see :func:`stacksafe`). ``regs_before(insn)``: the live
    registers before any instruction, for a caller's frame (``frame_insn_idx()``: those live
    before its call); without it callers' registers compare in full.
    """
    if len(old.frames) != len(cur.frames):
        return False
    idmap = IdMap()
    if (old.refs or cur.refs or old.active_irq_id or cur.active_irq_id
            or old.active_rcu_lock != cur.active_rcu_lock or old.active_locks != cur.active_locks
            or old.active_preempt_locks != cur.active_preempt_locks) \
            and not refsafe(old, cur, idmap):
        return False  # (without refs, irq ids or lock differences refsafe() holds: skipped)
    innermost = len(old.frames) - 1
    for depth in range(innermost + 1):
        oframe, cframe = old.frames[depth], cur.frames[depth]
        if oframe.callsite != cframe.callsite or oframe.callback_depth > cframe.callback_depth:
            return False  # func_states_equal(): a deeper callback count is not covered
        # a caller's live registers are those live before its call (func_states_equal())
        if depth == innermost:
            mask = live_regs
        elif regs_before is not None:
            mask = regs_before(old.frames[depth + 1].callsite)
        else:
            mask = 0x7FF
        slots = live_slots if depth == innermost else None
        oregs, cregs = oframe.regs, cframe.regs
        for regno in _ALL_REGS if exact is _EXACT else _regs_in(mask):
            o, c = oregs[regno], cregs[regno]
            if o is c and not o.id and not o.ref_obj_id:
                continue  # the same value, no ids to map: regsafe() holds in every mode
            if o.type is _SCALAR and exact is not _EXACT and c.type is _SCALAR \
                    and o.flags == c.flags and not (o.id or c.id or o.ref_obj_id or c.ref_obj_id):
                # regsafe()'s id-free scalar case, without the call
                if (not o.precise and exact is _NOT_EXACT) or within(o.var, c.var):
                    continue
                return False
            if not regsafe(o, c, idmap, exact):
                return False
        if oframe.stack and not stacksafe(oframe.stack, cframe.stack, idmap, exact, slots,
                                                 uninit, cframe.allocated):
            return False
    return True
