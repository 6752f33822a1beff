"""Precision tracking: ``mark_chain_precision()`` by backtracking over the path's history.

Scalars start imprecise, so states that differ only in them may be pruned together. When a
decision depends on a scalar's exact value (a ``__k`` argument, a size, a branch decided by a
constant), the verifier walks the current path backwards and marks every register and spilled
slot that fed the value ``precise`` in the stored checkpoints along it. A checkpoint with a
precise scalar then matches a later state only if that state's value lies within it — so two
paths reaching a ``__k`` call with different constants are both explored.

History entries are instruction indices; a stack access also records its slot:
``idx | (spi + 1) << 32``.
"""

from __future__ import annotations

from kfunclab.isa.insn import (
    Alu,
    AluOp,
    Atomic,
    Call,
    CallKind,
    Exit,
    Jump,
    Load,
    LoadImm64,
    Store,
    StoreImm,
)
from kfunclab.isa.printer import format_kernel
from kfunclab.verifier.env import Env
from kfunclab.verifier.regs import RegType
from kfunclab.verifier.state import StackSlot, VState

_IDX_MASK = 0xFFFF_FFFF
_SCALAR = RegType.SCALAR  # bound once: an enum member lookup costs ~0.1 us


def history_entry(idx: int, spi: int | None = None) -> int:
    return idx if spi is None else idx | ((spi + 1) << 32)


class _Backtrack:
    __slots__ = ("bail", "regs", "slots")

    def __init__(self, regs: set[int], slots: set[int]) -> None:
        self.regs = regs
        self.slots = slots
        self.bail = False

    def empty(self) -> bool:
        return not self.regs and not self.slots


def _backtrack_insn(env: Env, entry: int, bt: _Backtrack) -> None:
    """``backtrack_insn()``: which registers/slots fed the tracked ones before this insn."""
    idx = entry & _IDX_MASK
    spi = (entry >> 32) - 1
    insn = env.program.insns[idx]
    regs = bt.regs
    match insn:
        case Alu(op=op, dst=dst, src=src):
            if dst not in regs:
                return
            if op is AluOp.MOV:
                regs.discard(dst)
                if src is not None:
                    regs.add(src)
            elif src is not None:
                regs.add(src)
        case Load(dst=dst):
            if dst not in regs:
                return
            regs.discard(dst)
            if spi >= 0:
                bt.slots.add(spi)
        case Store(src=src):
            if spi >= 0 and spi in bt.slots:
                bt.slots.discard(spi)
                regs.add(src)
        case StoreImm():
            if spi >= 0:
                bt.slots.discard(spi)
        case Atomic():
            if spi >= 0 and spi in bt.slots:
                bt.bail = True
        case LoadImm64(dst=dst):
            regs.discard(dst)
        case Exit():
            bt.bail = True  # the history crosses a frame boundary: fall back like the kernel
        case Call(kind=kind):
            if kind is CallKind.SUBPROG:
                bt.bail = True
                return
            for r in range(6):
                regs.discard(r)
        case Jump(dst=dst, src=src):
            if src is not None and (dst in regs or src in regs):
                regs.add(dst)
                regs.add(src)


# what backtracking does at each instruction, decoded once per program (the walk below visits
# every history entry of every path that asks for precision)
_BT_NONE, _BT_ALU, _BT_MOV, _BT_JUMP, _BT_OTHER = range(5)


def _bt_code(insn: object) -> tuple[int, int, int | None]:
    """The :func:`_backtrack_insn` case of ``insn``: (code, dst, src)."""
    match insn:
        case Alu(op=op, dst=dst, src=src):
            return (_BT_MOV if op is AluOp.MOV else _BT_ALU), dst, src
        case Jump(dst=dst, src=src):
            return _BT_JUMP, dst, src
        case Load() | Store() | StoreImm() | Atomic() | LoadImm64() | Exit() | Call():
            return _BT_OTHER, 0, None
    return _BT_NONE, 0, None


def _bt_table(env: Env) -> list[tuple[int, int, int | None]]:
    table = getattr(env, "backtrack_table", None)
    if table is None:
        table = [_bt_code(insn) for insn in env.program.insns]
        env.backtrack_table = table  # type: ignore[attr-defined]
    return table


_BT_TEXTS: dict[tuple[frozenset[int], frozenset[int]], str] = {}


def _bt_text(bt: _Backtrack) -> str:
    """``regs=r1,r7 stack=-8``: what backtracking still looks for, as the kernel prints it.

    Level-2 logs print it for every instruction walked back (millions on a long loop), from a
    handful of distinct sets: the texts are kept.
    """
    key = (frozenset(bt.regs), frozenset(bt.slots))
    text = _BT_TEXTS.get(key)
    if text is None:
        regs = ",".join(f"r{r}" for r in sorted(bt.regs))
        stack = ",".join(str(-(s + 1) * 8) for s in sorted(bt.slots))
        text = _BT_TEXTS[key] = f"regs={regs} stack={stack}"
    return text


def _before_text(env: Env, idx: int) -> str:
    """`` before 12: (07) r1 += 1\n``: the instruction a backtracking step passes, once per slot."""
    texts = getattr(env, "before_texts", None)
    if texts is None:
        texts = env.before_texts = {}  # type: ignore[attr-defined]
    text = texts.get(idx)
    if text is None:
        text = texts[idx] = f" before {idx}: {format_kernel(env.program.insns[idx], idx)}\n"
    return text


def _trace_segment(env: Env, frameno: int, header: tuple[int, int, int] | None,
                   regs: tuple[int, ...], slots: tuple[int, ...], walked: list[int]) -> str:
    """The level-2 lines of one state's part of a backtracking walk, formatted when the log is
    read: the ``last_idx`` header, then one line per history entry walked (``walked`` is in
    history order; the walk goes newest first) with what was still looked for before it.
    The sets are replayed from those at the start with :func:`_backtrack_insn`, which the
    walk's inlined cases follow exactly."""
    out = []
    if header is not None:
        last, first, subseq = header
        out.append(f"mark_precise: frame{frameno}: last_idx {last} first_idx {first} "
                   f"subseq_idx {subseq} \n")
    bt = _Backtrack(set(regs), set(slots))
    table = _bt_table(env)
    for entry in reversed(walked):
        idx = entry & _IDX_MASK
        out.append(f"mark_precise: frame{frameno}: {_bt_text(bt)}{_before_text(env, idx)}")
        code, dst, src = table[idx]
        if code == _BT_ALU:  # the walk's own shortcut for the common case
            if src is not None and dst in bt.regs:
                bt.regs.add(src)
        elif code != _BT_NONE:
            _backtrack_insn(env, entry, bt)
    return "".join(out)


def _parent_line(frameno: int, regs: tuple[int, ...], slots: tuple[int, ...],
                 *state: object) -> str:
    from kfunclab.verifier.log import format_frozen_state

    bt_text = _bt_text(_Backtrack(set(regs), set(slots)))
    return (f"mark_precise: frame{frameno}: parent state {bt_text}: "
            f"{format_frozen_state(*state, None, None)}\n")  # type: ignore[misc]


def mark_chain_precision(env: Env, cur: VState, regnos: set[int],
                         slots: set[int] | None = None, skip_current: bool = True) -> None:
    """Mark what produced ``regnos`` (and stack ``slots``) precise in ``cur``'s checkpoints.

    ``skip_current``: the last history entry is the instruction asking (not backtracked).
    At log level 2 the walk is printed as the kernel prints it; the lines go to the log as
    deferred items (:meth:`KernelLog.defer`): a 1M-instruction loop walks ~10M entries, and
    the kernel's buffer keeps the last 16 MiB of their text.
    """
    if not env.precision:
        return
    bt = _Backtrack(set(regnos), set(slots or ()))
    st: VState | None = cur
    skip_first = skip_current
    log = getattr(env, "log", None)
    trace = log is not None and log.level & 2
    subseq = -1
    table = _bt_table(env)
    regs, slots_left = bt.regs, bt.slots
    while st is not None:
        hist = st.history
        stop = len(hist) - 1  # the newest entry to walk back over
        if skip_first and hist:
            skip_first = False
            stop -= 1
        done = False
        lo = 0  # the oldest entry walked (the loop leaves it where it stopped)
        if trace:
            header = (hist[-1] & _IDX_MASK, hist[0] & _IDX_MASK, subseq) if hist else None
            start_regs, start_slots = tuple(regs), tuple(slots_left)
        for lo in range(stop, -1, -1):
            entry = hist[lo]
            code, dst, src = table[entry & _IDX_MASK]
            if code == _BT_ALU:  # _backtrack_insn()'s cases inlined for the common kinds
                if src is not None and dst in regs:
                    regs.add(src)
            elif code == _BT_MOV:
                if dst in regs:
                    regs.discard(dst)
                    if src is not None:
                        regs.add(src)
            elif code == _BT_JUMP:
                if src is not None and (dst in regs or src in regs):
                    regs.add(dst)
                    regs.add(src)
            elif code == _BT_OTHER:
                _backtrack_insn(env, entry, bt)
                if bt.bail:
                    done = True
                    break
            if not regs and not slots_left:
                done = True
                break
        if trace:
            walked = hist[lo:stop + 1] if stop >= 0 else []  # a copy: cur's history grows
            if header is not None or walked:
                log.defer(52 * len(walked) + (50 if header is not None else 0), _trace_segment,
                          env, len(st.frames) - 1, header, start_regs, start_slots, walked)
        if done:
            if bt.bail:
                mark_all_scalars_precise(cur)
            return
        child_first = st.history[0] & _IDX_MASK if st.history else -1
        st = st.parent
        if st is None:
            break
        frame = st.frames[-1]
        for regno in list(bt.regs):
            reg = frame.regs[regno]
            if reg.type is not _SCALAR or reg.precise:
                bt.regs.discard(regno)
            else:
                frame.regs[regno] = reg.evolve(precise=True)
        for spi in list(bt.slots):
            slot = frame.stack.get(spi)
            if slot is None or slot.types[7] != "r" or slot.spilled.type is not _SCALAR \
                    or slot.spilled.precise:
                bt.slots.discard(spi)
            else:
                frame.stack[spi] = StackSlot(slot.types, slot.spilled.evolve(precise=True))
        if trace:
            from kfunclab.verifier.log import frozen_state

            log.defer(48, _parent_line, len(st.frames) - 1, tuple(regs), tuple(slots_left),
                      *frozen_state(st))
        if bt.empty():
            return
        subseq = child_first
    if not bt.empty():
        mark_all_scalars_precise(cur)


def mark_all_scalars_precise(cur: VState) -> None:
    """The kernel's fallback when backtracking loses track: every scalar in every ancestor."""
    st: VState | None = cur.parent
    while st is not None:
        for frame in st.frames:
            for regno, reg in enumerate(frame.regs):
                if reg.type is _SCALAR and not reg.precise:
                    frame.regs[regno] = reg.evolve(precise=True)
            for spi, slot in list(frame.stack.items()):
                if slot.types[7] == "r" and slot.spilled.type is _SCALAR \
                        and not slot.spilled.precise:
                    frame.stack[spi] = StackSlot(slot.types, slot.spilled.evolve(precise=True))
        st = st.parent


def mark_all_scalars_imprecise(state: VState) -> None:
    """A new checkpoint forgets inherited precision (privileged loaders)."""
    for frame in state.frames:
        for regno, reg in enumerate(frame.regs):
            if reg.type is _SCALAR and reg.precise:
                frame.regs[regno] = reg.evolve(precise=False)
        for spi, slot in list(frame.stack.items()):
            spilled = slot.spilled
            if slot.types[7] == "r" and spilled.type is _SCALAR and spilled.precise:
                frame.stack[spi] = StackSlot(slot.types, slot.spilled.evolve(precise=False))
