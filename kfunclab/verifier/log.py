"""The verifier log in the kernel's 6.18 format, byte-compatible in its quirks.

The kernel writes its log through a buffer with a few cursor tricks (``print_insn_state`` erases
the newline of the last instruction line to append ``; R0=...`` at an aligned column;
``pop_stack`` at level 1 rewinds the buffer to where a branch was pushed, so only the failing
path's instructions remain). :class:`KernelLog` keeps the same buffer and cursors, so the text
comes out as the kernel's does — including the ``14: (55) if r9 != 0x0 goto pc+2 17: R7=...``
joins a rewind leaves behind.
"""

from __future__ import annotations

from kfunclab.isa.insn import Imm64Tail, Insn
from kfunclab.isa.printer import format_kernel
from kfunclab.verifier.regs import RegType, format_reg
from kfunclab.verifier.state import RefKind, VState, format_slot

BPF_LOG_ALIGNMENT = 40
BPF_LOG_MIN_ALIGNMENT = 8
#: The log buffer libbpf gives the kernel (tools/lib/bpf BPF_LOG_BUF_SIZE, UINT32_MAX >> 8 bytes;
#: the kernel accepts up to UINT_MAX >> 2). The kernel's default (rotating) log keeps the last
#: ``len_total - 1`` bytes of a longer log and bpf() then fails with ENOSPC.
LOG_BUF_SIZE = (2**32 - 1) >> 8
LOG_TRUNCATED_NOTE = (f"log truncated: the verifier log is longer than the {LOG_BUF_SIZE}-byte "
                      "buffer libbpf gives the kernel (BPF_LOG_BUF_SIZE); like the kernel's "
                      "rotating log, only its last part is kept (the kernel's bpf() would then "
                      "fail with ENOSPC)")


def _vlog_alignment(pos: int) -> int:
    """``vlog_alignment()``: pad the state annotation to a multiple of 8 past column 40."""
    target = max(pos + BPF_LOG_MIN_ALIGNMENT // 2, BPF_LOG_ALIGNMENT)
    rounded = -(-target // BPF_LOG_MIN_ALIGNMENT) * BPF_LOG_MIN_ALIGNMENT
    return rounded - pos - 1


def format_state(state: VState, regs_mask: int | None, slots: set[int] | None) -> str:
    """``print_verifier_state()``: registers and slots (all, or the scratched ones) and refs."""
    frame = state.frames[-1]
    parts = []
    if frame.frameno:
        parts.append(f" frame{frame.frameno}:")
    for i, reg in enumerate(frame.regs):
        if reg.type is RegType.NOT_INIT:
            continue
        if regs_mask is not None and not (regs_mask >> i) & 1:
            continue
        parts.append(f" R{i}={format_reg(reg, frame.frameno)}")
    for spi in sorted(frame.stack):
        slot = frame.stack[spi]
        if slots is not None and spi not in slots:
            continue
        if slot.types == "????????":
            continue
        if slot.types[7] in "di" and not slot.spilled.ref_obj_id and not slot.spilled.id:
            continue
        if slot.types[7] == "d" and slot.spilled.extra[1:2] == (1,):
            continue  # a dynptr prints once, at its first slot
        parts.append(f" fp{-(spi + 1) * 8}={format_slot(slot, frame.frameno)}")
    refs = [r.id for r in state.refs if r.id and r.kind is not RefKind.LOCK]
    if refs:
        parts.append(" refs=" + ",".join(str(r) for r in refs))
    return "".join(parts)


class KernelLog:
    """The log buffer with the kernel's cursors (``env->log`` and ``prev_*_pos``)."""

    def __init__(self, level: int, resolve_name=None, size: int = LOG_BUF_SIZE) -> None:
        self.level = level
        # bytes from absolute position ``base`` on: rewinds are cheap slices, and memory stays
        # bounded (a level-2 log of a 1M-instruction loop is ~800 MB of text)
        self.buf = bytearray()
        self.base = 0
        self.size = size
        self.len_max = 0  # the longest the log ever was (bpf_vlog's len_max)
        self.prev_log_pos = 0
        self.prev_insn_print_pos = 0
        self.resolve_name = resolve_name
        self.do_print_state = False
        self.all_scratched = True
        self._insn_text: dict[int, str] = {}
        self._linfo_slots: list[int] = []
        self._linfo: dict[int, tuple[str, int, str]] = {}
        self.prev_linfo: tuple[str, int, str] | None = None

    def set_line_info(self, c_lines: dict[int, tuple[str, int, str]]) -> None:
        """The program's line_info (slot -> file, line, C text), printed as the kernel's
        ``verbose_linfo()`` does: ``; text @ file:line`` before the first instruction of a line."""
        self._linfo = dict(c_lines)
        self._linfo_slots = sorted(c_lines)

    def _verbose_linfo(self, idx: int) -> None:
        from bisect import bisect_right

        pos = bisect_right(self._linfo_slots, idx)
        if not pos:
            return
        record = self._linfo[self._linfo_slots[pos - 1]]
        if record == self.prev_linfo:  # the same line again (another column of it)
            return
        file, line, text = record
        self.verbose(f"; {text.lstrip()} @ {file}:{line}\n")
        self.prev_linfo = record

    @property
    def end_pos(self) -> int:
        return self.base + len(self.buf)

    @property
    def truncated(self) -> bool:
        """``bpf_vlog_finalize()`` answers ENOSPC: the log once outgrew the buffer."""
        return self.len_max + 1 > self.size

    def verbose(self, text: str) -> None:
        if self.level:
            buf = self.buf
            buf += text.encode()
            n = len(buf)
            if n > 2 * self.size:  # rotate: keep the last size - 1 bytes
                drop = n - (self.size - 1)
                del buf[:drop]
                self.base += drop
                n -= drop
            end = self.base + n  # called for every line of a level-2 log: no property, no max()
            if end > self.len_max:
                self.len_max = end

    def reset(self, pos: int) -> None:
        if pos < self.base:  # rewound past what the rotating buffer still holds
            self.buf.clear()
            self.base = pos
            return
        del self.buf[pos - self.base:]

    def text(self) -> str:
        kept = self.buf[-(self.size - 1):] if len(self.buf) >= self.size else self.buf
        return kept.decode(errors="replace")

    # --- the do_check() sequence ---------------------------------------------------------------
    def popped(self, prev_insn: int, insn: int, state: VState, log_pos: int) -> None:
        """``pop_stack()``: rewind at level 1; remember to print the state at level 2."""
        if self.level and not self.level & 2:
            self.reset(log_pos)
        self.prev_linfo = None
        self.do_print_state = True
        self.all_scratched = True
        self._pop_info = (prev_insn, insn)

    def pruned(self, insn: int) -> None:
        if not self.level:
            return
        if self.do_print_state:
            prev, _ = self._pop_info
            self.verbose(f"\nfrom {prev} to {insn}: safe\n")
        else:
            self.verbose(f"{insn}: safe\n")

    def before_insn(self, idx: int, insn: Insn, state: VState) -> None:
        if not self.level:
            return
        if self.level & 2 and self.do_print_state:
            prev, to = self._pop_info
            self.verbose(f"\nfrom {prev} to {to}:{format_state(state, None, None)}\n")
        self.do_print_state = False
        if self.all_scratched:
            self._print_insn_state(idx, format_state(state, None, None))
        self.all_scratched = False
        if isinstance(insn, Imm64Tail):  # pragma: no cover
            return
        if self._linfo_slots:
            self._verbose_linfo(idx)
        self.prev_log_pos = self.end_pos
        text = self._insn_text.get(idx)
        if text is None:  # an instruction prints the same on every path
            text = self._insn_text[idx] = f"{idx}: {format_kernel(insn, idx, self.resolve_name)}\n"
        self.verbose(text)
        self.prev_insn_print_pos = self.end_pos - self.prev_log_pos
        self.prev_log_pos = self.end_pos

    def after_insn(self, idx: int, state: VState, scratched_regs: int,
                   scratched_slots: set[int], any_scratched: bool) -> None:
        """The registers and slots the instruction touched, after it (6.18 prints it then)."""
        if self.level and any_scratched:
            self._print_insn_state(idx, format_state(state, scratched_regs, scratched_slots))

    def _print_insn_state(self, idx: int, text: str) -> None:
        """``print_insn_state()``: append to the last instruction line when nothing came since."""
        if self.prev_log_pos and self.prev_log_pos == self.end_pos:
            self.reset(self.prev_log_pos - 1)
            self.verbose(" " * _vlog_alignment(self.prev_insn_print_pos) + ";")
        else:
            self.verbose(f"{idx}:")
        self.verbose(text + "\n")

    def exit_path(self) -> None:
        """``process_bpf_exit``: every register counts as scratched for the next print."""
        self.all_scratched = True

    def line(self, text: str) -> None:
        self.verbose(text + "\n")
