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
from kfunclab.verifier.regs import Reg, RegType
from kfunclab.verifier.state import StackSlot, VState

_IDX_MASK = 0xFFFF_FFFF
_ARGS = frozenset(range(1, 6))
_TAIL_CALL_ID = 12  # BPF_FUNC_tail_call
_SCALAR = RegType.SCALAR  # bound once: an enum member lookup costs ~0.1 us


_FOREIGN = 1 << 48  # the slot belongs to another frame than the instruction's own


def history_entry(idx: int, spi: int | None = None, foreign: bool = False) -> int:
    if spi is None:
        return idx
    return idx | ((spi + 1) << 32) | (_FOREIGN if foreign else 0)


_LINKED_ELSEWHERE = 1 << 39  # a linked scalar outside the current frame's registers
_LINKED_SHIFT = 40  # bit mask of the current frame's linked registers


def record_linked_regs(env: Env, state: VState, idx: int, dst: Reg, src: Reg) -> None:
    """``collect_linked_regs()`` + ``push_jmp_history()`` at a conditional jump that forks:
    the scalars sharing the compared registers' ids, whose ranges the branch syncs, are kept
    in the history entry of the jump, so precision later reaches all of them
    (``bt_sync_linked_regs()``). Registers of the current frame are named; a linked spill or
    another frame's register is only flagged (backtracking then falls back to marking every
    scalar precise, as the kernel does when it loses track)."""
    ids = {r.id for r in (dst, src) if r.type is _SCALAR and r.id and not r.extra}
    if not ids or not state.history:
        return
    mask = 0
    elsewhere = False
    count = 0
    last = len(state.frames) - 1
    for fno, frame in enumerate(state.frames):
        for regno, reg in enumerate(frame.regs):
            if reg.type is _SCALAR and reg.id in ids:
                count += 1
                if fno == last:
                    mask |= 1 << regno
                else:
                    elsewhere = True
        for slot in frame.stack.values():
            if slot.types[7] == "r" and slot.spilled.type is _SCALAR and slot.spilled.id in ids:
                count += 1
                elsewhere = True
    if count < 2:
        return
    entry = state.history[-1]
    if entry & _IDX_MASK != idx:
        return
    if not entry >> 32 and idx not in env.cfg.jmp_points:
        state.jmp_history_cnt += 1  # push_jmp_history(): a new entry for this insn
    state.history[-1] = entry | (mask << _LINKED_SHIFT) | (_LINKED_ELSEWHERE if elsewhere else 0)


def _sync_linked(entry: int, regs: set[int]) -> bool:
    """``bt_sync_linked_regs()``: one linked register tracked makes all of them tracked;
    False when some are out of reach (the caller falls back)."""
    linked = entry >> _LINKED_SHIFT
    if not any((linked >> r) & 1 for r in regs):
        return True
    if entry & _LINKED_ELSEWHERE:
        return False
    regs.update(r for r in range(11) if (linked >> r) & 1)
    return True


class _Backtrack:
    """``struct backtrack_state``: what is still looked for, per frame.

    ``regs``/``slots`` are the sets of ``frame``, the frame of the instruction being walked
    back; walking back over a subprogram's ``exit`` enters the callee (``bt_subprog_enter()``:
    the caller's sets wait in ``saved``), walking back over the call that entered it leaves it
    again (``bt_subprog_exit()``: R1-R5 go to the caller)."""

    __slots__ = ("bail", "done", "frame", "regs", "saved", "skip", "slots")

    def __init__(self, regs: set[int], slots: set[int], frame: int = 0) -> None:
        self.regs = regs
        self.slots = slots
        self.frame = frame
        self.saved: dict[int, tuple[set[int], set[int]]] = {}  # outer frames' non-empty sets
        self.bail = False
        self.done = False  # the tracked frame's entry was reached with nothing left to find
        self.skip = 0  # > 0: walking back through a callback's body (its visits nest)

    def empty(self) -> bool:
        return not self.regs and not self.slots and not self.saved

    def copy(self) -> _Backtrack:
        bt = _Backtrack(set(self.regs), set(self.slots), self.frame)
        bt.saved = {fr: (set(r), set(s)) for fr, (r, s) in self.saved.items()}
        bt.skip = self.skip
        return bt

    def enter(self, r0: bool) -> None:
        """``bt_subprog_enter()``: walking back over a callee's ``exit``."""
        if self.regs or self.slots:
            self.saved[self.frame] = (self.regs, self.slots)
        self.frame += 1
        self.regs = {0} if r0 else set()
        self.slots = set()

    def leave(self, args: set[int]) -> None:
        """``bt_subprog_exit()``: walking back over the call that entered the callee."""
        self.frame -= 1
        self.regs, self.slots = self.saved.pop(self.frame, (set(), set()))
        self.regs |= args

    def frames(self) -> list[tuple[int, set[int], set[int]]]:
        """(frame, regs, slots) from the current frame down to frame 0."""
        out = [(self.frame, self.regs, self.slots)]
        for fr in range(self.frame - 1, -1, -1):
            regs, slots = self.saved.get(fr, (set(), set()))
            out.append((fr, regs, slots))
        return out


def _backtrack_callback(env: Env, idx: int, later: int, bt: _Backtrack) -> bool:
    """Callback frames, the way ``backtrack_insn()`` crosses them; True when ``idx`` was one.

    Walking back, an ``exit`` followed by a callback-calling call is a callback returning to
    its call site: its body, down to the call that entered it, cannot change the caller's
    registers, so it is skipped while only registers are tracked. The call that entered the
    callback, reached while tracking the callback's own frame, ends that frame: R1-R5 were set
    by the helper. Anything else across frames falls back to marking everything precise.
    """
    calls_cb = env.cfg.calls_callback
    insn = env.program.insns[idx]
    entering = type(insn) is Call and idx in calls_cb and later != idx + 1
    returning = type(insn) is Exit and later in calls_cb
    if bt.skip:
        if returning:
            bt.skip += 1
        elif entering:
            bt.skip -= 1
        return True
    if returning:
        if bt.slots:  # the callback may have written the tracked slots through a pointer
            bt.bail = True
        else:
            bt.skip = 1
        return True
    if entering:
        bt.regs.difference_update(range(6))
        if bt.regs or bt.slots:
            bt.bail = True
        elif bt.saved:
            bt.leave(set())  # R1-R5 of a callback were set by the helper, not the caller
        else:
            bt.done = True
        return True
    return False


def _backtrack_insn(env: Env, entry: int, bt: _Backtrack, later: int = -1) -> None:
    """``backtrack_insn()``: which registers/slots fed the tracked ones before this insn."""
    idx = entry & _IDX_MASK
    spi = ((entry >> 32) & 0xFFFF) - 1
    insn = env.program.insns[idx]
    regs = bt.regs
    if env.cfg.calls_callback and _backtrack_callback(env, idx, later, bt):
        return
    if entry & _FOREIGN:  # another frame's slot: the current frame's tracking cannot follow it
        if type(insn) is Load and insn.dst in regs:
            bt.bail = True
        elif type(insn) is not Load and any(s for _, s in bt.saved.values()):
            bt.bail = True  # it may write a slot an outer frame still looks for
        return
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
            # backtracking into the callee that returned at ``later``: only R0 goes with it
            if regs.intersection(_ARGS) or later < 1:
                bt.bail = True
                return
            call = env.program.insns[later - 1]
            r0 = 0 in regs and type(call) is Call and call.kind is CallKind.SUBPROG
            regs.discard(0)
            bt.enter(r0)
        case Call(kind=kind, imm=imm):
            if kind is CallKind.SUBPROG:
                if idx + 1 + imm in env.program.global_funcs:
                    regs.discard(0)  # a global function's R0 is any scalar
                    if regs.intersection(_ARGS):
                        bt.bail = True
                    return
                # leaving the static callee: what it still looks for in R1-R5 was the caller's
                args = regs.intersection(_ARGS)
                if regs - args or bt.slots or bt.frame == 0:
                    bt.bail = True
                    return
                bt.leave(args)
                return
            for r in range(6):
                regs.discard(r)
            if kind is CallKind.HELPER and imm == _TAIL_CALL_ID and later not in (-1, idx + 1):
                bt.enter(False)  # a tail call that returned from a subprogram: its exit
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


def _trace_segment(env: Env, header: tuple[int, int, int] | None, start: _Backtrack,
                   later: int, walked: list[int]) -> str:
    """The level-2 lines of one state's part of a backtracking walk, formatted when the log is
    read: the ``last_idx`` header, then one line per history entry walked (``walked`` is in
    history order; the walk goes newest first) with what was still looked for before it.
    ``start`` is a copy of the walk's sets when it reached this state and ``later`` the insn
    walked just before; the sets are replayed with the walk's own rules (frames, callbacks,
    linked scalars)."""
    out = []
    if header is not None:
        last, first, subseq = header
        out.append(f"mark_precise: frame{start.frame}: last_idx {last} first_idx {first} "
                   f"subseq_idx {subseq} \n")
    bt = start.copy()
    table = _bt_table(env)
    for entry in reversed(walked):
        idx = entry & _IDX_MASK
        out.append(f"mark_precise: frame{bt.frame}: {_bt_text(bt)}{_before_text(env, idx)}")
        was, later = later, idx
        code, dst, src = table[idx]
        if bt.skip or code == _BT_OTHER:
            _backtrack_insn(env, entry, bt, was)
            continue
        if code == _BT_ALU:  # the walk's own shortcut for the common case
            if src is not None and dst in bt.regs:
                bt.regs.add(src)
        elif code == _BT_JUMP and entry > _IDX_MASK:  # linked scalars, as the walk does
            _sync_linked(entry, bt.regs)
            if src is not None and (dst in bt.regs or src in bt.regs):
                bt.regs.update((dst, src))
            _sync_linked(entry, bt.regs)
        elif code != _BT_NONE:
            _backtrack_insn(env, entry, bt, was)
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
    At log level 2 the walk is printed as the kernel prints it; each state's part goes to the
    log as one deferred item (:meth:`KernelLog.defer`), replayed by :func:`_trace_segment` only
    if the kernel's buffer still holds it: a 1M-instruction loop walks ~10M entries, and the
    kernel keeps the last 16 MiB of their text.
    """
    if not env.precision:
        return
    bt = _Backtrack(set(regnos), set(slots or ()), len(cur.frames) - 1)
    st: VState | None = cur
    skip_first = skip_current
    log = getattr(env, "log", None)
    trace = log is not None and log.level & 2
    subseq = -1
    table = _bt_table(env)
    regs, slots_left = bt.regs, bt.slots
    callbacks = bool(env.cfg.calls_callback)
    later = -1
    while st is not None:
        hist = st.history
        stop = len(hist) - 1  # the newest entry to walk back over
        if skip_first and hist:
            skip_first = False
            later = hist[-1] & _IDX_MASK
            stop -= 1
        done = False
        lo = stop + 1  # the oldest entry walked (none yet)
        if trace:
            # push_async_cb() leaves an async callback's first state first_insn_idx 0
            first = 0 if st.parent is None and st.frames[0].cb == "async_cb" else hist[0]
            header = (hist[-1] & _IDX_MASK, first & _IDX_MASK, subseq) if hist else None
            start = bt.copy()
            start_later = later
        for lo in range(stop, -1, -1):
            entry = hist[lo]
            was = later
            later = entry & _IDX_MASK
            code, dst, src = table[later]
            if code == _BT_OTHER or (callbacks and bt.skip):
                _backtrack_insn(env, entry, bt, was)
                regs, slots_left = bt.regs, bt.slots  # a call or an exit changes the frame
                if bt.bail or bt.done:
                    done = True
                    break
                if not regs and not slots_left and not bt.saved:
                    done = True
                    break
                continue
            if code == _BT_ALU:  # _backtrack_insn()'s cases inlined for the common kinds
                if src is not None and dst in regs:
                    regs.add(src)
            elif code == _BT_MOV:
                if dst in regs:
                    regs.discard(dst)
                    if src is not None:
                        regs.add(src)
            elif code == _BT_JUMP:
                linked = entry > _IDX_MASK
                if linked and not _sync_linked(entry, regs):
                    bt.bail = True
                    done = True
                    break
                if src is not None and (dst in regs or src in regs):
                    regs.add(dst)
                    regs.add(src)
                if linked:
                    _sync_linked(entry, regs)
            if not regs and not slots_left and not bt.saved:
                done = True
                break
        if trace:
            walked = hist[lo:stop + 1] if stop >= lo else []  # a copy: cur's history grows
            if header is not None or walked:
                log.defer(52 * len(walked) + (50 if header is not None else 0), _trace_segment,
                          env, header, start, start_later, walked)
        if done:
            if bt.bail:
                mark_all_scalars_precise(cur)
            return
        child_first = hist[0] & _IDX_MASK if hist else -1
        st = st.parent
        if st is None:
            break
        if bt.frame >= len(st.frames):  # pragma: no cover - the walk left the frame it tracks
            mark_all_scalars_precise(cur)
            return
        for fr, fregs, fslots in bt.frames():
            _mark_frame(env, st, fr, fregs, fslots)
            if trace:
                from kfunclab.verifier.log import frozen_frame

                log.defer(48, _parent_line, fr, tuple(fregs), tuple(fslots),
                          *frozen_frame(st, st.frames[fr]))
        for fr in [fr for fr, (r, s) in bt.saved.items() if not r and not s]:
            del bt.saved[fr]
        regs, slots_left = bt.regs, bt.slots
        if bt.empty():
            return
        subseq = child_first
    if not bt.empty():
        mark_all_scalars_precise(cur)


def _mark_frame(env: Env, st: VState, fr: int, regs: set[int], slots: set[int]) -> None:
    """Mark ``regs`` and ``slots`` precise in frame ``fr`` of checkpoint ``st``; drop from the
    sets what is no scalar or already precise (its own checkpoints were marked before)."""
    frame = st.frames[fr]
    for regno in list(regs):
        reg = frame.regs[regno]
        if reg.type is not _SCALAR or reg.precise:
            regs.discard(regno)
        else:
            frame.regs[regno] = reg.evolve(precise=True)
            env.precise_marks += 1
    for spi in list(slots):
        slot = frame.stack.get(spi)
        if slot is None or slot.types[7] != "r" or slot.spilled.type is not _SCALAR \
                or slot.spilled.precise:
            slots.discard(spi)
        else:
            frame.stack[spi] = StackSlot(slot.types, slot.spilled.evolve(precise=True))
            env.precise_marks += 1


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
