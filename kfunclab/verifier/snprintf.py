"""``check_bpf_snprintf_call()``: bpf_snprintf's format string, checked at load time.

The format (R3) is a constant string of a frozen read-only map; the data (R4) is an array of
u64, ``data_len`` (R5) bytes long. The kernel runs ``bpf_bprintf_prepare()`` on the string
with ``data_len / 8`` arguments and refuses the call with ``Invalid format string`` when it
fails: a character that is neither printable nor a space, more conversions than arguments, or
a conversion it does not support. What it supports (kernel/bpf/helpers.c): ``%%``; flags
``0 +-`` and a space, then a width; ``%p`` alone (before a space, punctuation or the end),
``%pK %px %ps %pS %pB``, ``%pi4 %pI4 %pi6 %pI6``, ``%pks %pus``; ``%s`` and ``%c``; and
``d i u x X`` with up to two ``l``. ``%s``/``%pks``/``%pus`` must be followed by the end, a
space or punctuation.

>>> format_ok("%5d %0900000X", 2), format_ok("%s % 9c", 2), format_ok("%d %d", 1)
(True, True, False)
>>> format_ok("%pi4 %pI6", 2), format_ok("%pj", 1), format_ok("%%overflow", 0)
(True, False, True)
"""

from __future__ import annotations

import string

from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.state import VState

INVALID_FORMAT = "Invalid format string"  # check_bpf_snprintf_call()
MAX_BPRINTF_VARARGS = 12
_PUNCT = set(string.punctuation)
_SPACE = set(" \t\n\v\f\r")


def _sep(c: str) -> bool:
    """``c == 0 || isspace(c) || ispunct(c)`` ('' stands for the terminating NUL)."""
    return c == "" or c in _SPACE or c in _PUNCT


def format_ok(fmt: str, num_args: int) -> bool:
    """Whether ``bpf_bprintf_prepare(fmt, ..., num_args)`` accepts the format."""
    def at(k: int) -> str:
        return fmt[k] if k < len(fmt) else ""

    num_spec = 0
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if not (0x20 <= ord(c) <= 0x7E or c in _SPACE):
            return False
        if c != "%":
            i += 1
            continue
        if at(i + 1) == "%":
            i += 2
            continue
        if num_spec >= num_args:
            return False
        i += 1
        while at(i) in ("0", "+", "-", " ") and at(i):
            i += 1
        if "1" <= at(i) <= "9":
            i += 1
            while "0" <= at(i) <= "9" and at(i):
                i += 1
        c = at(i)
        if c == "p":
            nxt = at(i + 1)
            if _sep(nxt):
                pass  # %p
            elif nxt in ("k", "u") and at(i + 2) == "s":
                i += 2
                if not _sep(at(i + 1)):
                    return False
            elif nxt in ("K", "x", "s", "S", "B"):
                i += 1
            elif nxt in ("i", "I") and at(i + 2) in ("4", "6"):
                i += 2
            else:
                return False
        elif c == "s":
            if not _sep(at(i + 1)):
                return False
        elif c == "c":
            pass
        else:
            if at(i) == "l":
                i += 1
            if at(i) == "l":
                i += 1
            if at(i) not in ("i", "d", "u", "x", "X") or not at(i):
                return False
        num_spec += 1
        i += 1
    return True


def check_snprintf_call(env: Env, state: VState, idx: int) -> None:
    """Refuse a bpf_snprintf call whose constant format the kernel would not take."""
    del env
    fmt_reg, len_reg = state.regs[3], state.regs[5]
    if not len_reg.var.is_const:
        raise Unsupported("bpf_snprintf: a data length that is not constant", idx)
    data_len = len_reg.var.const_value
    if data_len % 8 or data_len // 8 > MAX_BPRINTF_VARARGS:
        raise Unsupported("bpf_snprintf: a data length that is no multiple of 8 or past 12 "
                          "arguments", idx)
    m = fmt_reg.map
    off = fmt_reg.off + fmt_reg.var.const_value  # a constant string: checked before
    raw = bytes(m.data[off:m.value.size]).split(b"\0", 1)[0]
    if any(b > 0x7F for b in raw):
        raise Reject(INVALID_FORMAT, errno=22)
    if not format_ok(raw.decode("ascii"), data_len // 8):
        raise Reject(INVALID_FORMAT, errno=22)
