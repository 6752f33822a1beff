"""The verifier state: registers, stack, references and lock state of one path.

:class:`VState` mirrors ``struct bpf_verifier_state`` (with its ``bpf_func_state`` frames). It is
mutable while the explorer walks a straight line, like the kernel's ``env->cur_state``, and copied
where the kernel copies it: when a branch is pushed and when a checkpoint is stored. What a view
sees is a :class:`Snapshot`, an immutable copy.

Stack slots follow the kernel's layout: slot ``spi`` covers ``fp-8*(spi+1)`` up to
``fp-8*spi-1``, and ``types[j]`` describes byte ``fp - 8*spi - 1 - j`` (so ``types[7]`` is the
lowest address), which is why a 4-byte store at ``fp-8`` prints as ``fp-8=????mmmm``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum

from kfunclab.verifier.regs import NOT_INIT, Reg, format_reg, stack_pointer

MAX_BPF_STACK = 512
SLOT_SIZE = 8


class SlotType(StrEnum):
    """Per-byte stack slot types, as the kernel's log characters."""

    INVALID = "?"
    SPILL = "r"
    MISC = "m"
    ZERO = "0"
    DYNPTR = "d"
    ITER = "i"
    IRQ_FLAG = "f"


@dataclass(frozen=True, slots=True)
class StackSlot:
    """One 8-byte stack slot: the byte types and, for spills and special slots, the value."""

    types: str  # 8 characters of SlotType values
    spilled: Reg = NOT_INIT

    @property
    def is_spill(self) -> bool:
        return self.types[7] == "r"

    @property
    def is_full_spill(self) -> bool:
        return self.types == "rrrrrrrr"


EMPTY_SLOT = StackSlot("????????")


class RefKind(Enum):
    """What an acquired reference stands for (``enum ref_state_type``)."""

    PTR = "ptr"
    IRQ = "irq"
    LOCK = "lock"


@dataclass(frozen=True, slots=True)
class Ref:
    """An acquired reference: ``refs[]`` entry of the verifier state."""

    id: int
    insn: int
    kind: RefKind = RefKind.PTR
    origin: str = ""  # the kfunc or helper that acquired it, for views
    #: a lock's ``ptr`` (the map, or "btf" for an allocated object): with ``id`` it names the
    #: lock (find_lock_state())
    owner: str = ""


@dataclass(slots=True)
class FuncState:
    """One call frame: R0-R10 and the frame's stack."""

    regs: list[Reg]
    stack: dict[int, StackSlot]
    frameno: int = 0
    callsite: int = -1
    allocated: int = 0  # allocated_stack: bytes below fp the path has grown the stack to
    #: ``callback_depth``: callbacks this frame has pushed since it last passed the call
    #: (bpf_loop stops pushing at its nr_loops; a checkpoint with a deeper count never covers)
    callback_depth: int = 0
    #: "" for a frame of a call, "cb" for a sync callback (``in_callback_fn``), "async_cb" and
    #: "exception_cb" for the frame 0 of those callbacks' own verification
    cb: str = ""

    def copy(self) -> FuncState:
        return FuncState(list(self.regs), dict(self.stack), self.frameno, self.callsite,
                         self.allocated, self.callback_depth, self.cb)


def initial_frame(r1: Reg) -> FuncState:
    regs = [NOT_INIT] * 11
    regs[1] = r1
    regs[10] = stack_pointer(0)
    return FuncState(regs, {})


@dataclass(slots=True)
class VState:
    """The state of one path (``struct bpf_verifier_state``) plus exploration bookkeeping."""

    frames: list[FuncState]
    refs: list[Ref] = field(default_factory=list)
    active_rcu_lock: int = 0
    active_preempt_locks: int = 0
    active_irq_id: int = 0
    active_locks: int = 0
    # --- exploration bookkeeping (not part of the abstract value) ---
    parent: VState | None = None  # the checkpoint this path continued from
    branches: int = 1
    insn_idx: int = 0
    first_insn_idx: int = 0
    history: list[int] = field(default_factory=list)  # insns since the parent checkpoint
    #: ``jmp_history_cnt``: entries of the kernel's jump history since the parent checkpoint,
    #: i.e. jump points (cfg.jmp_points) and stack accesses, not every instruction of ``history``
    jmp_history_cnt: int = 0
    checkpoint_id: int = -1  # for stored checkpoints: their id in the result
    path_id: int = 0
    pending_events: list = field(default_factory=list)  # recorded when a pushed branch starts
    in_free_list: bool = False  # an evicted checkpoint kept alive for its children
    #: ``callback_unroll_depth``: callback entries on this path; two states that differ in it
    #: are not an infinite loop (is_state_visited())
    callback_unroll_depth: int = 0
    #: ``may_goto_depth``: how many may_goto fall-throughs this path took (check_cond_jmp_op());
    #: not compared by states_equal(), only by the loop rules of is_state_visited()
    may_goto_depth: int = 0
    #: ``in_sleepable`` of an async callback's walk (``push_async_cb()``'s
    #: ``is_async_cb_sleepable()``): a bpf_wq callback sleeps, a timer's does not
    async_sleepable: bool = False

    @property
    def cur(self) -> FuncState:
        return self.frames[-1]

    @property
    def regs(self) -> list[Reg]:
        return self.frames[-1].regs

    def copy(self) -> VState:
        return VState(
            [f.copy() for f in self.frames],
            list(self.refs),
            self.active_rcu_lock,
            self.active_preempt_locks,
            self.active_irq_id,
            self.active_locks,
            self.parent,
            self.branches,
            self.insn_idx,
            self.first_insn_idx,
            list(self.history),
            self.jmp_history_cnt,
            self.checkpoint_id,
            self.path_id,
            callback_unroll_depth=self.callback_unroll_depth,
            may_goto_depth=self.may_goto_depth,
            async_sleepable=self.async_sleepable,
        )

    def ref_ids(self) -> list[int]:
        return [r.id for r in self.refs]

    def snapshot(self) -> Snapshot:
        frame = self.frames[-1]
        return Snapshot(
            regs=tuple(frame.regs),
            stack=tuple(sorted(frame.stack.items())),
            refs=tuple(self.refs),
            active_rcu_lock=self.active_rcu_lock,
            active_preempt_locks=self.active_preempt_locks,
            active_irq_id=self.active_irq_id,
            frameno=frame.frameno,
            depth=len(self.frames),
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable copy of a path's state at one instruction, for results and views."""

    regs: tuple[Reg, ...]
    stack: tuple[tuple[int, StackSlot], ...]
    refs: tuple[Ref, ...]
    active_rcu_lock: int = 0
    active_preempt_locks: int = 0
    active_irq_id: int = 0
    frameno: int = 0
    depth: int = 1

    def reg_text(self, regno: int) -> str:
        return format_reg(self.regs[regno], self.frameno)

    def live_regs(self) -> dict[str, str]:
        """``{"R0": "ptr_task_struct(ref_obj_id=2)", ...}`` for every initialised register."""
        return {f"R{i}": format_reg(r, self.frameno) for i, r in enumerate(self.regs)
                if r.type != 0}

    def stack_text(self) -> dict[str, str]:
        """``{"fp-8": "mmmmmmmm", ...}`` as the kernel log prints slots."""
        return {f"fp{-(spi + 1) * SLOT_SIZE}": format_slot(slot, self.frameno)
                for spi, slot in self.stack if slot.types != "????????"}

    def format(self) -> str:
        """The whole state as one kernel-style log line (``R1=ctx() R10=fp0 fp-8=mmmmmmmm``)."""
        parts = [f"{k}={v}" for k, v in self.live_regs().items()]
        parts += [f"{k}={v}" for k, v in self.stack_text().items()]
        if self.refs:
            parts.append("refs=" + ",".join(str(r.id) for r in self.refs if r.kind is RefKind.PTR))
        return " ".join(parts)


def format_slot(slot: StackSlot, frameno: int = 0) -> str:
    """A stack slot as ``print_verifier_state`` prints it after ``fp-8=``."""
    kind = slot.types[7]
    if kind == "r":
        cut = slot.types.index("r")
        return slot.types[:cut] + format_reg(slot.spilled, frameno)
    if kind == "i" and slot.spilled.ref_obj_id:
        it_type, it_state, depth = slot.spilled.extra[:3]
        return f"iter_{it_type}(ref_id={slot.spilled.ref_obj_id},state={it_state},depth={depth})"
    if kind == "d":
        spilled = slot.spilled
        attrs = []
        if spilled.id:
            attrs.append(f"id={spilled.id}")
        if spilled.ref_obj_id:
            attrs.append(f"ref_id={spilled.ref_obj_id}")
        dynptr_id = spilled.extra[2] if len(spilled.extra) > 2 else spilled.id
        if dynptr_id:  # a clone's is its parent's id
            attrs.append(f"dynptr_id={dynptr_id}")
        dyn_type = spilled.extra[0] if spilled.extra else "local"
        return f"dynptr_{dyn_type}({','.join(attrs)})"
    return slot.types
