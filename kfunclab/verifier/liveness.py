"""Static liveness: which registers and stack slots may still be read after an instruction.

6.18 computes register liveness statically (``compute_live_registers()``) and compares only live
registers when pruning. kfunclab does the same backward data-flow for registers. For stack slots
6.18 has a call-chain-sensitive analysis (``kernel/bpf/liveness.c``); kfunclab's is simpler and
conservative: slots read through ``r10`` at constant offsets are tracked, and any other pointer
load, atomic or call is assumed to read every slot. Conservative means kfunclab may prune less
than the kernel (more processed instructions), never more.
"""

from __future__ import annotations

from functools import cache

from kfunclab.isa.insn import (
    Alu,
    AluOp,
    Atomic,
    AtomicOp,
    Call,
    CallKind,
    Endian,
    Exit,
    Imm64Tail,
    Jump,
    Load,
    LoadImm64,
    LoadPacket,
    Store,
    StoreImm,
)
from kfunclab.verifier.state import VState

ALL_SLOTS = (1 << 64) - 1
_CALLER_SAVED = 0b111111
_R10 = 1 << 10

#: argument counts of the helpers kfunclab models (their BPF_FUNC protos; bpf_trace_printk's
#: proto declares 2: the format's arguments in R3-R5 are not ARG_ types)
HELPER_ARGS = {1: 2, 2: 4, 3: 2, 5: 0, 6: 2, 7: 0, 8: 0, 14: 0, 15: 0, 16: 2, 35: 0, 93: 1, 94: 1,
               113: 3,
               115: 3, 125: 0, 130: 4, 131: 3, 132: 2, 133: 2, 158: 0, 194: 2,
               # the dynptr helpers (rules/dynptrs.py): from_mem, ringbuf_reserve/submit/
               # discard_dynptr, dynptr_read, dynptr_write, dynptr_data
               197: 4, 198: 4, 199: 2, 200: 2, 201: 5, 202: 5, 203: 3}


@cache
def helper_param_count(helper_id: int) -> int:
    """``get_call_summary()``'s ``num_params`` of a helper: its prototype's arguments before
    the first ARG_DONTCARE (the most any of its prototypes has), from the helper data; 5 (R1-R5,
    what the kernel assumes without a prototype) for an id the data does not know."""
    from kfunclab.verifier.helper_specs import helper_specs

    counts = [len(p.args) for s in helper_specs().values() if s.id == helper_id
              for p in s.protos]
    return max(counts) if counts else 5


def _arg_mask(n: int) -> int:
    return ((1 << n) - 1) << 1


class Liveness:
    """Live registers/slots before each instruction of one program."""

    def __init__(self, program: object, cfg: object, kfunc_args: dict[str, int]) -> None:
        insns = program.insns  # type: ignore[attr-defined]
        n = len(insns)
        use_r = [0] * n
        def_r = [0] * n
        use_s = [0] * n
        def_s = [0] * n
        for i, ins in enumerate(insns):
            use_r[i], def_r[i], use_s[i], def_s[i] = insn_effects(ins, kfunc_args)
        succ = [cfg.successors(i) if not isinstance(insns[i], Imm64Tail) else ()  # type: ignore
                for i in range(n)]
        live_r = [0] * n
        live_s = [0] * n
        changed = True
        order = range(n - 1, -1, -1)
        while changed:
            changed = False
            for i in order:
                if isinstance(insns[i], Imm64Tail):
                    continue
                out_r = 0
                out_s = 0
                for s in succ[i]:
                    out_r |= live_r[s]
                    out_s |= live_s[s]
                new_r = use_r[i] | (out_r & ~def_r[i])
                new_s = use_s[i] | (out_s & ~def_s[i])
                if new_r != live_r[i] or new_s != live_s[i]:
                    live_r[i] = new_r
                    live_s[i] = new_s
                    changed = True
        self._regs = live_r
        self._slots = live_s
        self._slot_sets: dict[int, frozenset[int]] = {}

    def regs_before(self, idx: int) -> int:
        return self._regs[idx] | _R10

    def slots_before(self, idx: int) -> frozenset[int] | None:
        mask = self._slots[idx]
        if mask == ALL_SLOTS:
            return None
        found = self._slot_sets.get(mask)  # asked at every prune point: built once per mask
        if found is None:
            found = self._slot_sets[mask] = frozenset(i for i in range(64) if (mask >> i) & 1)
        return found

    def clean(self, state: VState, idx: int) -> None:
        """``clean_verifier_state()``: forget dead registers and slots of ``state``."""

        # registers stay (the kernel keeps them and compares only the live ones)
        mask = self._slots[idx]
        if mask != ALL_SLOTS:
            stack = state.frames[-1].stack
            for spi in list(stack):
                if spi < 64 and not (mask >> spi) & 1 and stack[spi].types[7] not in "dif":
                    del stack[spi]


def _slot_bits(off: int, size: int) -> int:
    bits = 0
    for addr in range(off, off + size):
        if -512 <= addr < 0:
            bits |= 1 << ((-addr - 1) // 8)
    return bits


def insn_effects(ins: object, kfunc_args: dict[str, int]) -> tuple[int, int, int, int]:
    """(regs used, regs defined, slots used, slots killed) of one instruction."""
    match ins:
        case Alu(op=op, dst=dst, src=src):
            if op is AluOp.MOV:
                return (1 << src if src is not None else 0), 1 << dst, 0, 0
            used = 1 << dst
            if src is not None:
                used |= 1 << src
            return used, 1 << dst, 0, 0
        case Endian(dst=dst):
            return 1 << dst, 1 << dst, 0, 0
        case Load(dst=dst, src=src, off=off, size=size):
            if src == 10:
                return 1 << src, 1 << dst, _slot_bits(off, int(size)), 0
            return 1 << src, 1 << dst, ALL_SLOTS, 0
        case Store(dst=dst, src=src, off=off, size=size):
            kill = _slot_bits(off, 8) if dst == 10 and size == 8 and off % 8 == 0 else 0
            return (1 << dst) | (1 << src), 0, 0, kill
        case StoreImm(dst=dst, off=off, size=size):
            kill = _slot_bits(off, 8) if dst == 10 and size == 8 and off % 8 == 0 else 0
            return 1 << dst, 0, 0, kill
        case Atomic(dst=dst, src=src, op=op, fetch=fetch):
            used = (1 << dst) | (1 << src)
            defined = 0
            if op is AtomicOp.CMPXCHG:
                used |= 1
                defined = 1
            elif fetch or op is AtomicOp.XCHG:
                defined = 1 << src
            return used, defined, ALL_SLOTS, 0
        case Jump(dst=dst, src=src):
            used = 1 << dst
            if src is not None:
                used |= 1 << src
            return used, 0, 0, 0
        case Call(kind=kind, imm=imm, name=name):
            if kind is CallKind.HELPER:
                n = HELPER_ARGS[imm] if imm in HELPER_ARGS else helper_param_count(imm)
            elif kind is CallKind.KFUNC:
                n = kfunc_args.get(name or "", 5)
            else:
                n = 5
            return _arg_mask(n), _CALLER_SAVED, ALL_SLOTS if n else 0, 0
        case Exit():
            return 1, 0, 0, 0
        case LoadImm64(dst=dst):
            return 0, 1 << dst, 0, 0
        case LoadPacket(src=src):
            used = 1 << 6
            if src is not None:
                used |= 1 << src
            return used, _CALLER_SAVED, 0, 0
    return 0, 0, 0, 0

