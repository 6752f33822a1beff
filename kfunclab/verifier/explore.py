"""Path exploration: the kernel's ``do_check()`` loop with state pruning.

Depth first, as the kernel walks: at a conditional jump whose outcome is unknown the *taken*
branch is pushed on a stack and the fall-through continued; when a path ends (exit, pruned,
rejected) the most recently pushed branch is popped. At prune points the current state is
compared with the checkpoints stored there (:func:`is_state_visited`); a match ends the path,
a miss may store a new checkpoint, with the kernel's heuristics, so the statistics agree with
the kernel's ``processed``, ``total_states``, ``peak_states`` and ``max_states_per_insn``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kfunclab.isa.insn import (
    Alu,
    Atomic,
    Call,
    CallKind,
    Exit,
    Imm64Tail,
    Jump,
    Load,
    MayGoto,
    Store,
    StoreImm,
)
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Limit, Reject, Unsupported
from kfunclab.verifier.equiv import Exactness, same_value, states_equal
from kfunclab.verifier.liveness import Liveness, insn_effects
from kfunclab.verifier.log import KernelLog, format_state
from kfunclab.verifier.precision import mark_all_scalars_imprecise, mark_chain_precision
from kfunclab.verifier.regs import Reg, RegType
from kfunclab.verifier.result import Diagnostic, PathEnd
from kfunclab.verifier.scc import SccVisits, format_callchain
from kfunclab.verifier.state import VState
from kfunclab.verifier.step import EXIT, check_alu, step_insn

BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192
BPF_COMPLEXITY_LIMIT_STATES = 64
_SCALAR = RegType.SCALAR  # bound once: an enum member lookup costs ~0.1 us on 3.11


@dataclass(eq=False)  # compared by identity: a state's parent chain is long
class _StateEntry:
    """``struct bpf_verifier_state_list``: a stored checkpoint and its hit/miss counters."""

    state: VState
    hit_cnt: int = 0
    miss_cnt: int = 0


@dataclass
class _Pending:
    """A pushed branch: its state, where it goes, and who pushed it."""

    state: VState
    insn: int
    prev_insn: int
    parent_path: int
    log_pos: int
    so_far: _PathSoFar | None = None


@dataclass(frozen=True, slots=True)
class _PathSoFar:
    """What a path ran before a branch: the first ``length`` of ``insns`` after ``parent``'s.

    ``insns`` is the pushing path's own list, which that path keeps appending to; sharing it
    makes pushing a branch O(1). :meth:`unroll` builds the whole list only when a diagnostic
    needs it.
    """

    insns: list[int]
    length: int
    parent: _PathSoFar | None

    def unroll(self) -> list[int]:
        parts: list[list[int]] = []
        node: _PathSoFar | None = self
        while node is not None:
            parts.append(node.insns[: node.length])
            node = node.parent
        return [i for part in reversed(parts) for i in part]


class Explorer:
    """Runs ``do_check`` over one program; :meth:`run` returns the first rejection or None."""

    def __init__(self, env: Env, liveness: Liveness, collect_all: bool = False) -> None:
        self.env = env
        self.live = liveness
        self.collect_all = collect_all
        #: explored_states[]: the kernel hashes checkpoints by ``(insn ^ callsite) % prog len``
        #: (explored_state()), so a bucket can hold other instructions' states (counted in
        #: max_states_per_insn, never compared) and one instruction's states of other call sites
        #: live elsewhere (no miss counted against them)
        self.explored: dict[int, list[_StateEntry]] = {}
        self._htab = max(len(env.program.insns), 1)
        self.stack: list[_Pending] = []
        self.rejections: list[Diagnostic] = []
        self.prune_points = env.cfg.prune_points
        self.force_checkpoints = env.cfg.force_checkpoints
        self.jmp_points = env.cfg.jmp_points
        self.may_goto_points = frozenset(i for i, insn in enumerate(env.program.insns)
                                         if type(insn) is MayGoto)
        self._stored_now = False
        self.last_insn: int | None = None  # set when run() ends
        self._path: list[int] = []  # the current path's own instructions ...
        self._path_base: _PathSoFar | None = None  # ... after those of the path it branched from
        self._pending_print: tuple | None = None
        self.scc: dict[int, int] = {}  # insn -> loop number (set by verify())
        self.sccs = SccVisits({})  # set by verify() with the program's loops
        self.log = KernelLog(env.recorder.log_level)
        self.log.set_line_info(getattr(env.program, "c_lines", {}))
        env.log = self.log  # type: ignore[attr-defined]  # precision tracking prints to it

    # --- the loop ----------------------------------------------------------------------------
    def run(self, initial: VState) -> Diagnostic | None:
        env = self.env
        rec = env.recorder
        state = initial
        rec.start_path(state, None, None)
        log = self.log
        insns = env.program.insns
        path = self._path
        prev_insn = -1
        prune_points, jmp_points = self.prune_points, self.jmp_points
        level = log.level  # fixed for the run
        visits = rec.visits
        while True:
            idx = state.insn_idx
            env.insn_processed += 1
            if env.insn_processed > env.insn_limit:
                text = msg.PROGRAM_TOO_LARGE.format(processed=env.insn_processed)
                diag = Diagnostic(idx, text, (), tuple(self._full_path()), rec.path_id, errno=7)
                self.log.line(text)
                rec.end_path(PathEnd.LIMIT, idx, error=diag)
                raise Limit(diag)
            ended: PathEnd | None = None
            pruned_by = None
            if idx in prune_points:
                hit = self.is_state_visited(state, idx)
                if isinstance(hit, Reject):
                    diag = self._diagnose(hit, idx, path)
                    if not self._reject(diag):
                        return diag
                    ended = PathEnd.REJECTED
                elif hit is not None:
                    self._pending_print = None
                    ended = PathEnd.PRUNED
                    pruned_by = hit
                    rec.pruned(idx, hit)
                    rec.visits[idx] += 1
                    log.pruned(idx)
            if ended is None:
                path.append(idx)
                if self._stored_now:
                    self._stored_now = False  # the new segment's history already starts at idx
                else:
                    state.history.append(idx)
                    if idx in jmp_points:
                        state.jmp_history_cnt += 1
                env.insn_idx = idx
                env.prev_insn_idx = prev_insn
                insn = insns[idx]
                if level:
                    if self._pending_print is not None:
                        log.after_insn(*self._pending_print)
                    self._pending_print = None
                    log.before_insn(idx, insn, state)
                    base = _stack_access_slot(insn, state)
                    # only a call's scratched slots compare the stack before and after
                    before = dict(state.cur.stack) if base.__class__ is frozenset else None
                    # a call or exit that changes frames prints both frames (check_func_call,
                    # prepare_func_exit); the callee's is formatted before its exit drops it
                    depth = len(state.frames) if insn.__class__ in (Call, Exit) else 0
                    pushed = len(self.stack)
                    callee = (format_state(state, None, None)
                              if depth > 1 and insn.__class__ is Exit else None)
                recording = rec.steps_recorded < rec.max_steps
                entry_state = state.copy() if recording else None
                try:
                    # the commonest instruction, without the match (step_insn() refuses
                    # register numbers past r10 first)
                    if insn.__class__ is Alu and insn.dst <= 10 and (insn.src or 0) <= 10:
                        check_alu(env, state, insn, idx, self)
                        outcome = idx + 1
                    else:
                        outcome = step_insn(env, state, insn, idx, self)
                except Unsupported as missing:
                    if missing.insn is None:
                        missing.insn = idx
                    raise
                except Reject as reject:
                    diag = self._diagnose(reject, idx, path)
                    # a rejected instruction did not happen: show the state it was refused in
                    rec.step(idx, entry_state if entry_state is not None else state)
                    if not self._reject(diag):
                        rec.end_path(PathEnd.REJECTED, idx, error=diag)
                        return diag
                    rec.end_path(PathEnd.REJECTED, idx, error=diag)
                    ended = PathEnd.REJECTED
                else:
                    if recording:
                        rec.step(idx, state)
                    else:  # what rec.step() does past its budget, without the call
                        visits[idx] += 1
                        rec.truncated = True
                    if level and outcome is not EXIT and depth and (
                            depth < len(state.frames) or (callee is not None
                            and depth > len(state.frames))):
                        # (a tail call in a subprogram also leaves a frame: printed as usual)
                        if callee is None:
                            log.entered_subprog(state)
                        else:
                            log.returned_to_caller(idx, outcome, callee, state)
                    elif level and depth and len(self.stack) > pushed and \
                            self.stack[-1].state.frames[-1].cb:
                        # a callback pushed: its init_func_state() scratches every register
                        log.all_scratched = True
                    elif level and outcome is not EXIT:
                        # a conditional jump prints its state itself (check_cond_jmp_op); any
                        # other instruction's state prints when the next one starts, unless
                        # that one is pruned
                        scratch = _scratched(insn, before, base, state)
                        if isinstance(insn, Jump):
                            log.after_insn(idx, state, *scratch)
                        else:
                            self._pending_print = (outcome, state, *scratch)
                    if outcome is EXIT:
                        ended = PathEnd.EXIT
                        rec.end_path(ended, idx)
                    else:
                        prev_insn = idx
                        state.insn_idx = outcome
                        if isinstance(insns[outcome], Imm64Tail):  # pragma: no cover - cfg guards
                            raise Reject("invalid insn idx")
                        continue
            elif ended is PathEnd.PRUNED:
                rec.end_path(ended, idx, pruned_by=pruned_by)
            log.exit_path()
            self._update_branch_counts(state)
            popped = self._pop()
            if popped is None:
                # the last instruction line of the log (post-walk errors): a pruned end
                # prints only "N: safe" after the one before
                self.last_insn = prev_insn if ended is PathEnd.PRUNED else idx
                return self.rejections[0] if self.rejections else None
            state, prev_insn, path = popped
            self._path = path

    def _diagnose(self, reject: Reject, idx: int, path: list[int]) -> Diagnostic:
        for line in reject.context:
            self.log.line(line)
        self.log.line(reject.message)
        for line in reject.trailer:
            self.log.line(line)
        return Diagnostic(idx, reject.message, reject.context, tuple(self._full_path()),
                          self.env.recorder.path_id, reject.errno)

    def _full_path(self) -> list[int]:
        """The current path's instructions from the program's entry."""
        base = self._path_base.unroll() if self._path_base is not None else []
        return base + self._path

    def _reject(self, diag: Diagnostic) -> bool:
        """Record a rejected path; True when exploration goes on (collect_all)."""
        self.rejections.append(diag)
        return self.collect_all

    # --- branches ----------------------------------------------------------------------------
    def push_branch(self, state: VState, target: int, from_insn: int) -> VState:
        """``push_stack()``: copy ``state`` to explore ``target`` later; returns the copy."""
        if len(self.stack) >= BPF_COMPLEXITY_LIMIT_JMP_SEQ:
            raise Reject(msg.JUMP_SEQUENCE_TOO_COMPLEX.format(count=len(self.stack)))
        branch = state.copy()
        if target == from_insn and branch.history:
            branch.history.pop()  # the branch runs this instruction again (maybe_fork_scalars)
        branch.insn_idx = target
        branch.branches = 1
        if branch.parent is not None:
            branch.parent.branches += 1
        so_far = _PathSoFar(self._path, len(self._path), self._path_base)
        self.stack.append(_Pending(branch, target, from_insn, self.env.recorder.path_id,
                                   self.log.end_pos, so_far))
        return branch

    def _pop(self) -> tuple[VState, int, list[int]] | None:
        if not self.stack:
            return None
        pending = self.stack.pop()
        rec = self.env.recorder
        state = pending.state
        rec.start_path(state, pending.parent_path, pending.prev_insn)
        for event in state.pending_events:
            rec.ref_event(*event)
        state.pending_events = []
        self.log.popped(pending.prev_insn, pending.insn, state, pending.log_pos)
        self._path_base = pending.so_far
        return state, pending.prev_insn, []

    def _update_branch_counts(self, state: VState) -> None:
        st: VState | None = state
        while st is not None:
            st.branches -= 1
            if st.branches > 0:
                break
            if st.in_free_list:
                st.in_free_list = False
                self.env.free_list_size -= 1
            self._maybe_exit_scc(st)
            st = st.parent

    # --- loops (strongly connected components), for the level-2 log ----------------------------
    def _maybe_enter_scc(self, new: VState, idx: int) -> None:
        """``maybe_enter_scc()``: the first checkpoint stored inside a loop opens its visit."""
        if not self.sccs.enabled:
            return
        key = self.sccs.enter(new)
        if key is not None and self.log.level & 2:
            self.log.line(f"SCC enter {format_callchain(key)}")

    def _add_backedge(self, old: VState, cur: VState) -> None:
        """``add_scc_backedge()``: a copy of the looping state joins the back-edges of the
        loop's visit, kept until the visit ends; ``update_peak_states()`` counts it."""
        env = self.env
        key = self.sccs.add_backedge(old, cur)
        env.num_backedges = self.sccs.num_backedges
        env.peak_states = max(env.peak_states, env.explored_states_size + env.free_list_size
                              + env.num_backedges)
        if key is not None and self.log.level & 2:
            self.log.line(f"SCC backedge {format_callchain(key)}")

    def _maybe_exit_scc(self, st: VState) -> None:
        """``maybe_exit_scc()``: every path from the loop's entry state has been explored;
        ``propagate_backedges()`` completes the loop checkpoints' precision."""
        if not self.sccs.visits:
            return
        key = self.sccs.exit(st, self._propagate_backedge)
        self.env.num_backedges = self.sccs.num_backedges
        if key is not None and self.log.level & 2:
            self.log.line(f"SCC exit {format_callchain(key)}")

    def _propagate_backedge(self, equal: VState, backedge: VState) -> bool:
        before = self.env.precise_marks
        self._propagate_precision(equal, backedge, self.live.regs_before(backedge.insn_idx))
        return self.env.precise_marks != before

    # --- pruning -----------------------------------------------------------------------------
    def is_state_visited(self, cur: VState, idx: int) -> int | Reject | None:
        """Compare ``cur`` with the checkpoints at ``idx``: a checkpoint id on a hit, else None.

        On a miss a copy of ``cur`` may be stored as a new checkpoint (same heuristics as the
        kernel). An infinite loop comes back as a :class:`Reject`.
        """
        env = self.env
        # "avoid accumulating infinitely long jmp history": the kernel counts jump-history
        # entries (jump points, stack accesses), not instructions
        forced = idx in self.force_checkpoints
        force_new = env.test_state_freq or forced or cur.jmp_history_cnt > 40
        add_new = force_new or (env.jmps_processed - env.prev_jmps_processed >= 2
                                and env.insn_processed - env.prev_insn_processed >= 8)
        live_regs = self.live.regs_before(idx)
        live_slots = self.live.slots_before(idx)
        entries = self.explored.get(self.bucket(cur, idx))
        states_cnt = 0
        visits = self.sccs.visits
        if entries:
            may_goto = idx in self.may_goto_points
            n_frames = len(cur.frames)
            cregs = cur.frames[-1].regs
            for entry in list(entries):
                states_cnt += 1
                old = entry.state
                if old.insn_idx != idx:
                    continue
                if old.branches:
                    if may_goto:
                        # a loop through may_goto converges once a deeper iteration is
                        # within an earlier one (is_state_visited(), is_may_goto_insn_at())
                        if old.may_goto_depth != cur.may_goto_depth and states_equal(
                                old, cur, live_regs, live_slots, Exactness.RANGE_WITHIN,
                                regs_before=self.live.regs_before):
                            return self._loop_hit(entry, cur, idx, live_regs)
                    elif forced and self._iter_converged(old, cur, live_regs, live_slots):
                        return self._loop_hit(entry, cur, idx, live_regs)
                    if (may_goto or not forced) and len(old.frames) == n_frames and \
                            _regs_alike(old.frames[-1].regs, cregs) and \
                            old.may_goto_depth == cur.may_goto_depth and \
                            old.callback_unroll_depth == cur.callback_unroll_depth and \
                            not _iter_active_depths_differ(old, cur) and \
                            states_equal(old, cur, live_regs, live_slots, Exactness.EXACT):
                        return Reject(msg.INFINITE_LOOP_DETECTED.format(insn=idx), errno=22,
                                      trailer=(f"cur state:{format_state(cur, None, None)}",
                                               f"old state:{format_state(old, None, None)}"))
                    if not force_new and env.jmps_processed - env.prev_jmps_processed < 20 \
                            and env.insn_processed - env.prev_insn_processed < 100:
                        add_new = False
                else:
                    # a checkpoint of a loop whose visit has back-edges pending has incomplete
                    # precision: compare RANGE_WITHIN, and a match is one more back-edge
                    loop = bool(visits) and self.sccs.incomplete(old)
                    if states_equal(old, cur, live_regs, live_slots,
                                    Exactness.RANGE_WITHIN if loop else Exactness.NOT_EXACT,
                                    env.allow_uninit_stack, self.live.regs_before):
                        hit = self._hit(entry, cur, idx, live_regs)
                        if loop:
                            self._add_backedge(old, cur)
                        return hit
                if add_new:
                    entry.miss_cnt += 1
                n = 64 if (forced and old.branches > 0) else 3
                if entry.miss_cnt > entry.hit_cnt * n + n:
                    entries.remove(entry)
                    env.explored_states_size -= 1
                    if old.branches:  # maybe_free_verifier_state(): freed once branches == 0
                        old.in_free_list = True
                        env.free_list_size += 1
        if env.max_states_per_insn < states_cnt:
            env.max_states_per_insn = states_cnt
        if not env.privileged and states_cnt > BPF_COMPLEXITY_LIMIT_STATES:
            return None
        if not add_new:
            return None
        self._store_checkpoint(cur, idx)
        return None

    def bucket(self, st: VState, idx: int) -> int:
        """``explored_state()``: the hash bucket of ``idx`` for ``st``'s current frame."""
        return ((idx ^ st.frames[-1].callsite) & 0xFFFFFFFF) % self._htab

    def entries_at(self, st: VState, idx: int) -> list[VState]:
        """The checkpoints at ``idx`` in ``st``'s bucket, most recent first."""
        return [e.state for e in self.explored.get(self.bucket(st, idx), ())
                if e.state.insn_idx == idx]

    def _iter_converged(self, old: VState, cur: VState, live_regs: int,
                        live_slots: frozenset[int] | None) -> bool:
        if not states_equal(old, cur, live_regs, live_slots, Exactness.RANGE_WITHIN,
                            regs_before=self.live.regs_before):
            return False
        it = cur.regs[1]
        if it.type is not RegType.PTR_TO_STACK:
            return True
        spi = (-(it.off + it.var.const_value) - 1) // 8
        if it.frameno >= len(cur.frames):
            return False
        slot = cur.frames[it.frameno].stack.get(spi)
        return slot is not None and bool(slot.spilled.extra) and slot.spilled.extra[1] == "active"

    def _loop_hit(self, entry: _StateEntry, cur: VState, idx: int, live_regs: int) -> int:
        """A loop closed (an iterator's next, a may_goto, a callback call site): 6.18 keeps a
        copy of this state as an SCC back-edge until the loop's visit ends."""
        hit = self._hit(entry, cur, idx, live_regs)
        self._add_backedge(entry.state, cur)
        return hit

    def _hit(self, entry: _StateEntry, cur: VState, idx: int, live_regs: int) -> int:
        entry.hit_cnt += 1
        self._propagate_precision(entry.state, cur, live_regs)
        return entry.state.checkpoint_id

    def _propagate_precision(self, old: VState, cur: VState, live_regs: int) -> None:
        """``propagate_precision()``: what was precise in ``old`` becomes precise on ``cur``'s
        path too, so ``cur``'s ancestors are not pruned more eagerly than ``old`` allowed."""
        frame = old.frames[-1]
        oregs = frame.regs
        regs = {r for r in range(10) if (live_regs >> r) & 1
                and oregs[r].type is _SCALAR and oregs[r].precise}
        slots = {spi for spi, slot in frame.stack.items()
                 if slot.types[7] == "r" and slot.spilled.type is _SCALAR
                 and slot.spilled.precise} if frame.stack else set()
        if regs or slots:
            if self.log.level & 2:
                names = ",".join([f"r{r}" for r in sorted(regs)] +
                                 [f"fp{-(s + 1) * 8}" for s in sorted(slots)])
                self.log.verbose(f"frame {len(cur.frames) - 1}: propagating {names}\n")
            cur.history.append(cur.insn_idx)
            mark_chain_precision(self.env, cur, regs, slots)
            cur.history.pop()

    def _store_checkpoint(self, cur: VState, idx: int) -> None:
        env = self.env
        env.total_states += 1
        env.explored_states_size += 1
        # update_peak_states(): evicted states still referenced count until they are freed
        env.peak_states = max(env.peak_states, env.explored_states_size + env.free_list_size
                              + env.num_backedges)
        env.prev_jmps_processed = env.jmps_processed
        env.prev_insn_processed = env.insn_processed
        if env.privileged:
            mark_all_scalars_imprecise(cur)
        new = cur.copy()
        self.live.clean(new, idx)  # clean_live_states(): the stored copy forgets dead values
        new.insn_idx = idx
        new.checkpoint_id = env.recorder.checkpoint(idx, new)
        self._maybe_enter_scc(new, idx)
        self.explored.setdefault(self.bucket(new, idx), []).insert(0, _StateEntry(new))
        cur.parent = new
        cur.first_insn_idx = idx
        cur.history = [idx]
        cur.jmp_history_cnt = 1 if idx in self.jmp_points else 0
        self._stored_now = True


def _callsites(st: VState) -> tuple[int, ...]:
    """The call sites of a state's frames, the call chain part of ``bpf_scc_callchain``."""
    return tuple(f.callsite for f in st.frames)


def _regs_alike(oregs: list[Reg], cregs: list[Reg]) -> bool:
    """The register part of ``states_maybe_looping()`` (asked per live checkpoint at a prune
    point, so the frame check is done by the caller)."""
    for o, c in zip(oregs, cregs, strict=False):  # both 11 long
        if o is c:  # shared registers (R10, NOT_INIT, untouched values): alike by identity
            continue
        if o.var != c.var or o.type is not c.type or o.id != c.id \
                or o.ref_obj_id != c.ref_obj_id or not same_value(o, c):
            return False
    return True


def _iter_active_depths_differ(old: VState, cur: VState) -> bool:
    """``iter_active_depths_differ()``: an active iterator of ``old`` is at another iteration
    depth in ``cur``; the loop made progress, so equal states are not an infinite loop."""
    for fold, fcur in zip(old.frames, cur.frames, strict=False):
        for spi, slot in fold.stack.items():
            extra = slot.spilled.extra
            if slot.types[0] != "i" or not extra or len(extra) < 3 or extra[1] != "active":
                continue
            other = fcur.stack.get(spi)
            cextra = other.spilled.extra if other is not None else ()
            if len(cextra) < 3 or cextra[2] != extra[2]:
                return True
    return False


def _stack_access_slot(insn: object, state: VState) -> int | frozenset[int] | None:
    """The stack slot a load/store through a stack pointer touches (scratched in the log), or
    for a call the slots its stack-pointer arguments point at (iterators, dynptrs)."""
    if isinstance(insn, Call):
        slots: set[int] = set()
        for reg in state.regs[1:6]:
            if reg.type is RegType.PTR_TO_STACK and reg.var.is_const:
                addr = reg.off + reg.var.const_value
                if addr >= 1 << 63:
                    addr -= 1 << 64
                if addr < 0:
                    spi = (-addr - 1) // 8
                    slots.update((spi, spi - 1))
        return frozenset(slots)
    if isinstance(insn, Load):
        regno = insn.src
    elif isinstance(insn, Store | StoreImm | Atomic):
        regno = insn.dst
    else:
        return None
    reg = state.regs[regno]
    if reg.type is not RegType.PTR_TO_STACK or not reg.var.is_const:
        return None
    addr = reg.off + insn.off + reg.var.const_value  # type: ignore[attr-defined]
    if addr >= 1 << 63:
        addr -= 1 << 64
    return (-addr - 1) // 8 if addr < 0 else None


_SCRATCH_REGS: dict[object, int] = {}


def _scratched(insn: object, before: dict | None, base: int | frozenset[int] | None,
               state: VState) -> tuple[int, set[int], bool]:
    """Registers and stack slots the kernel marks scratched for this instruction's log line:
    the registers it reads or writes, the slot it loads or stores, and iterator / dynptr /
    IRQ-flag slots a kfunc sets up or changes."""
    regs = _SCRATCH_REGS.get(insn)  # instructions are frozen values: the same on every visit
    if regs is None:
        used, defined, _, _ = insn_effects(insn, {})
        regs = _SCRATCH_REGS[insn] = used | defined
        if len(_SCRATCH_REGS) > 65536:  # pragma: no cover - bounded across many programs
            _SCRATCH_REGS.clear()
    after = state.cur.stack
    if before is not None and isinstance(base, frozenset):  # a call: its arguments' slots
        # a dynptr, iterator or irq flag argument is scratched whether the call changes it or
        # only reads it (mark_stack_slot_obj_read())
        slots = {k for k in base if any(s is not None and s.types[7] in "dif"
                                        for s in (before.get(k), after.get(k)))}
        if insn.kind is CallKind.HELPER:  # type: ignore[attr-defined]
            # check_helper_call() writes a raw-mode (MEM_UNINIT) stack argument byte by byte
            # with check_mem_access(): each slot it rewrote as plain data is scratched
            slots.update(k for k, s in after.items() if before.get(k) is not s
                         and s.spilled.type is RegType.NOT_INIT
                         and not any(c in "rdif" for c in s.types))
    else:
        slots = set() if base is None else {base}
    return regs & 0x7FF, slots, bool(regs or slots)
