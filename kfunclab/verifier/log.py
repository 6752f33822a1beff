"""The verifier log in the kernel's 6.18 format, byte-compatible in its quirks.

The kernel writes its log through a buffer with a few cursor tricks (``print_insn_state`` erases
the newline of the last instruction line to append ``; R0=...`` at an aligned column;
``pop_stack`` at level 1 rewinds the buffer to where a branch was pushed, so only the failing
path's instructions remain). :class:`KernelLog` keeps the same buffer and cursors, so the text
comes out as the kernel's does — including the ``14: (55) if r9 != 0x0 goto pc+2 17: R7=...``
joins a rewind leaves behind.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, NamedTuple

from kfunclab.isa.insn import Imm64Tail, Insn
from kfunclab.isa.printer import format_kernel
from kfunclab.verifier.regs import RegType, format_reg
from kfunclab.verifier.state import FuncState, VState, format_slot

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


def format_state(state: VState, regs_mask: int | None, slots: Collection[int] | None) -> str:
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
    refs = [r.id for r in state.refs if r.id]  # locks and irq flags too (acquired_refs)
    if refs:
        parts.append(" refs=" + ",".join(str(r) for r in refs))
    if frame.cb in _CB_MARKS:  # in_callback_fn, in_async_callback_fn
        parts.append(_CB_MARKS[frame.cb])
    return "".join(parts)


class _FrameView(NamedTuple):
    """The parts of a :class:`FuncState` :func:`format_state` reads."""

    regs: tuple
    stack: dict
    frameno: int
    cb: str


class _StateView(NamedTuple):
    """A state as :func:`format_state` sees it."""

    frames: tuple[_FrameView]
    refs: tuple


_NO_STACK: dict = {}
#: print_verifier_state() ends a callback frame's state with these
_CB_MARKS = {"cb": " cb", "async_cb": " async_cb"}
_PADS: dict[int, str] = {}  # instruction line length -> the padding and ';' before its state


def frozen_state(state: VState) -> tuple[tuple, dict, int, tuple, str]:
    """What :func:`format_state` will print of ``state``, copied now, for a line formatted
    later: (registers, stack, frame number, refs, callback mark). Registers are immutable
    tuples; the stack dict and the refs list are copied because the walk changes them in
    place. Flat, few objects: a lazy log holds hundreds of thousands of these, and the
    cyclic GC walks them.

    >>> from kfunclab.verifier.state import FuncState
    >>> from kfunclab.verifier.regs import NOT_INIT
    >>> format_frozen_state(*frozen_state(VState([FuncState([NOT_INIT] * 11, {})])), None, None)
    ''
    """
    return frozen_frame(state, state.frames[-1])


def frozen_frame(state: VState, frame: FuncState) -> tuple[tuple, dict, int, tuple, str]:
    """:func:`frozen_state` of one frame of ``state`` (the caller's, at a call)."""
    stack = frame.stack
    refs = state.refs
    return (tuple(frame.regs), dict(stack) if stack else _NO_STACK, frame.frameno,
            tuple(refs) if refs else (), frame.cb)


def format_frozen_state(regs: tuple, stack: dict, frameno: int, refs: tuple, cb: str,
                        regs_mask: int | None, slots: Collection[int] | None) -> str:
    """:func:`format_state` of a state kept by :func:`frozen_state`."""
    view = _StateView((_FrameView(regs, stack, frameno, cb),), refs)
    return format_state(view, regs_mask, slots)  # type: ignore[arg-type]


def _state_line(regs: tuple, stack: dict, frameno: int, refs: tuple, cb: str,
                regs_mask: int | None, slots: Collection[int] | None, prefix: str) -> str:
    return f"{prefix}{format_frozen_state(regs, stack, frameno, refs, cb, regs_mask, slots)}\n"


class KernelLog:
    """The log buffer with the kernel's cursors (``env->log`` and ``prev_*_pos``).

    **Lazy at level 2.** A level-2 log only ever grows (its one rewind takes back the newline
    just written), and the kernel's rotating buffer keeps only its last ``size - 1`` bytes: a
    loop that runs to the 1M-instruction limit prints ~800 MB of which 16 MiB survive. So at
    level 2 the log keeps *items*: texts, and lines to format later (:meth:`defer`: a function,
    its arguments frozen now, and a lower bound of its length). Once the lower bounds of the
    newest items alone fill the buffer, the older items can never be seen and are dropped
    unformatted; :meth:`text` formats the newest items until they fill the buffer. The bytes
    are those the eager buffer gives (``lazy=False``, what level 1 uses: its rewinds move
    the cursor back to any position).
    """

    def __init__(self, level: int, resolve_name=None, size: int = LOG_BUF_SIZE,
                 lazy: bool | None = None) -> None:
        self.level = level
        self.lazy = bool(level & 2) if lazy is None else lazy
        if self.lazy and level and not level & 2:
            raise ValueError("a level-1 log rewinds (pop_stack): it cannot be lazy")
        self._items: list[Any] = []  # lazy: str, or (lower bound, function, *args)
        self._lb = 0  # lazy: a lower bound of the items' length in bytes
        self._count = 0  # lazy: items ever written (the lazy log's "position")
        self._dropped = False  # lazy: items dropped as older than the buffer holds
        self._final: tuple[str, bool] | None = None  # lazy: text() and truncated, once asked
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
        """The log's end: a byte position, or (lazy) the number of items written."""
        return self._count if self.lazy else self.base + len(self.buf)

    @property
    def truncated(self) -> bool:
        """``bpf_vlog_finalize()`` answers ENOSPC: the log once outgrew the buffer."""
        if self.lazy:
            return self._finish()[1]
        return self.len_max + 1 > self.size

    def verbose(self, text: str) -> None:
        if self.lazy:
            if self.level:
                self._items.append(text)
                self._count += 1
                self._lb += len(text)  # characters: never more than the UTF-8 bytes
                self._final = None
                if self._lb > 2 * self.size:
                    self._compact()
        elif self.level:
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

    def defer(self, lower_bound: int, fn: Callable[..., str], *args: Any) -> None:
        """Write ``fn(*args)``, formatted only if it can still be seen when the log is read.

        ``args`` must not change later (copy what the walk mutates: :func:`frozen_state`);
        ``lower_bound`` must not exceed the length of the text in characters."""
        if not self.level:
            return
        if not self.lazy:
            self.verbose(fn(*args))
            return
        self._items.append((lower_bound, fn, *args))  # flat: one object per item
        self._count += 1
        self._lb += lower_bound
        self._final = None
        if self._lb > 2 * self.size:
            self._compact()

    def _compact(self) -> None:
        """Drop the items the newest ones already push out of the buffer (lower bounds only)."""
        items = self._items
        total = 0
        keep = 0
        for i in range(len(items) - 1, -1, -1):
            item = items[i]
            total += len(item) if item.__class__ is str else item[0]
            if total >= self.size:
                keep = i
                break
        if keep:
            del items[:keep]
            self._dropped = True
            self._lb = total

    def _finish(self) -> tuple[str, bool]:
        """The lazy log's text (its last ``size - 1`` bytes) and whether it was truncated."""
        if self._final is None:
            parts: list[bytes] = []
            total = 0
            items = self._items
            for i in range(len(items) - 1, -1, -1):
                item = items[i]
                text = item if item.__class__ is str else item[1](*item[2:])
                data = text.encode()
                parts.append(data)
                total += len(data)
                if total >= self.size:
                    break
            data = b"".join(reversed(parts))
            truncated = self._dropped or total >= self.size
            if len(data) >= self.size:
                data = data[-(self.size - 1):]
            text = data.decode(errors="replace")
            self._final = (text, truncated)
            # the formatted tail replaces the items (their arguments hold the walk's env: a
            # cycle through env.log the GC would otherwise have to find)
            self._items = [text] if text else []
            self._lb = len(text)
            self._dropped = truncated
        return self._final

    def reset(self, pos: int) -> None:
        """``bpf_vlog_reset()``: move the end back to byte ``pos`` (eager log only)."""
        if self.lazy:  # pragma: no cover - level 2 never rewinds (pop_stack does at level 1)
            raise ValueError("a lazy (level-2) log cannot be rewound")
        if pos < self.base:  # rewound past what the rotating buffer still holds
            self.buf.clear()
            self.base = pos
            return
        del self.buf[pos - self.base:]

    def text(self) -> str:
        if self.lazy:
            return self._finish()[0]
        kept = self.buf[-(self.size - 1):] if len(self.buf) >= self.size else self.buf
        return kept.decode(errors="replace")

    # --- the do_check() sequence ---------------------------------------------------------------
    def popped(self, prev_insn: int, insn: int, state: VState, log_pos: int) -> None:
        """``pop_stack()``: rewind at level 1; remember to print the state at level 2."""
        if self.level and not self.level & 2:
            self.reset(log_pos)
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
            self.defer(len(f"{prev}{to}") + 9, _state_line, *frozen_state(state), None, None,
                       f"\nfrom {prev} to {to}:")
        self.do_print_state = False
        if self.all_scratched:
            self._print_insn_state(idx, state, None, None)
        self.all_scratched = False
        if isinstance(insn, Imm64Tail):  # pragma: no cover
            return
        if self._linfo_slots:
            self._verbose_linfo(idx)
        cached = self._insn_text.get(idx)
        if cached is None:  # an instruction prints the same on every path
            text = f"{idx}: {format_kernel(insn, idx, self.resolve_name)}\n"
            cached = self._insn_text[idx] = (text, len(text.encode()))
        text, size = cached
        if self.lazy:  # verbose(text) inlined: once per instruction walked
            self._items.append(text)
            self._count += 1
            self._lb += size
            self._final = None
            if self._lb > 2 * self.size:
                self._compact()
            self.prev_log_pos = self._count
        else:
            self.verbose(text)
            self.prev_log_pos = self.base + len(self.buf)
        self.prev_insn_print_pos = size  # the line's length in bytes, what the kernel pads by

    def after_insn(self, idx: int, state: VState, scratched_regs: int,
                   scratched_slots: set[int], any_scratched: bool) -> None:
        """The registers and slots the instruction touched, after it (6.18 prints it then)."""
        if self.level and any_scratched:
            self._print_insn_state(idx, state, scratched_regs, scratched_slots)

    def _print_insn_state(self, idx: int, state: VState, regs_mask: int | None,
                          slots: set[int] | None) -> None:
        """``print_insn_state()``: append to the last instruction line when nothing came since."""
        lazy = self.lazy
        if self.prev_log_pos and self.prev_log_pos == (
                self._count if lazy else self.base + len(self.buf)):  # end_pos, without the call
            self._take_back_newline()
            prefix = _PADS.get(self.prev_insn_print_pos)
            if prefix is None:
                prefix = _PADS[self.prev_insn_print_pos] = \
                    " " * _vlog_alignment(self.prev_insn_print_pos) + ";"
        else:
            prefix = f"{idx}:"
        if lazy:  # one item: the state is formatted only if the buffer still holds it
            # defer(len(prefix) + 1, _state_line, *frozen_state(state), ...) inlined: this runs
            # for every instruction of a level-2 walk
            frame = state.frames[-1]
            stack = frame.stack
            refs = state.refs
            lower_bound = len(prefix) + 1
            self._items.append((lower_bound, _state_line, tuple(frame.regs),
                                dict(stack) if stack else _NO_STACK, frame.frameno,
                                tuple(refs) if refs else (), frame.cb, regs_mask,
                                slots if slots is None else tuple(slots), prefix))
            self._count += 1
            self._lb += lower_bound
            self._final = None
            if self._lb > 2 * self.size:
                self._compact()
        else:
            self.verbose(f"{prefix}{format_state(state, regs_mask, slots)}\n")

    def _take_back_newline(self) -> None:
        """``bpf_vlog_reset(prev_log_pos - 1)``: the instruction line's newline, just written."""
        if not self.lazy:
            self.reset(self.prev_log_pos - 1)
            return
        last = self._items[-1]  # the instruction's text: nothing came after it
        self._items[-1] = last[:-1]
        self._lb -= 1
        self._final = None

    def entered_subprog(self, state: VState) -> None:
        """``check_func_call()`` after ``setup_func_entry()``: both frames in full; the new
        frame's init_func_state() marks every register and slot scratched."""
        caller = format_frozen_state(*frozen_frame(state, state.frames[-2]), None, None)
        callee = format_frozen_state(*frozen_frame(state, state.frames[-1]), None, None)
        self.verbose(f"caller:\n{caller}\ncallee:\n{callee}\n")
        self.all_scratched = True

    def returned_to_caller(self, idx: int, to: int, callee: str, state: VState) -> None:
        """``prepare_func_exit()``: the callee's frame (``callee``, formatted before the exit
        dropped it) and the caller's, in full; at level 2 the next instruction prints ``from
        IDX to TO:`` and the state (do_check's do_print_state)."""
        caller = format_state(state, None, None)
        self.verbose(f"returning from callee:\n{callee}\nto caller at {to}:\n{caller}\n")
        self.do_print_state = True
        self._pop_info = (idx, to)

    def exit_path(self) -> None:
        """``process_bpf_exit``: every register counts as scratched for the next print."""
        self.all_scratched = True

    def line(self, text: str) -> None:
        self.verbose(text + "\n")
