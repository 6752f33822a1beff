"""``check_max_stack_depth()``: the combined stack of a call chain, after exploration.

The kernel records, for each subprogram, the deepest stack any path gave it (``stack_depth``,
grown by ``grow_stack_state()``), then walks the call graph from the main program: along every
chain of bpf-to-bpf calls (and ``ld_imm64`` of a callback) it adds each frame's depth rounded
up to 16 bytes (the JIT's granularity; the machines kfunclab is checked on JIT every program)
and refuses the program when a chain needs more than ``MAX_BPF_STACK`` (512) bytes:
``combined stack size of N calls is M. Too large``, N counting the frames up to the first
one past the limit. Private stacks (``bpf_enable_priv_stack()``) are not modelled: the live
6.18 kernel kfunclab is checked against refuses a kprobe program's 2 x 512 bytes too.

>>> round_up_stack_depth(500), round_up_stack_depth(0)
(512, 0)
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from kfunclab.isa.insn import Call, CallKind, Imm64Kind, LoadImm64
from kfunclab.verifier import messages as msg
from kfunclab.verifier.result import Diagnostic
from kfunclab.verifier.state import MAX_BPF_STACK
from kfunclab.verifier.tailcall import TAIL_CALL_STACK_LIMIT, has_tail_call

if TYPE_CHECKING:
    from kfunclab.verifier.env import Env

#: include/linux/bpf_verifier.h MAX_CALL_FRAMES
MAX_CALL_FRAMES = 8


def round_up_stack_depth(depth: int) -> int:
    """``round_up_stack_depth()`` with ``jit_requested``: to a multiple of 16."""
    return (depth + 15) // 16 * 16


def _callees(env: Env, start: int, end: int) -> list[int]:
    """Subprogram starts called (or taken as a callback) from ``[start, end)``, in order."""
    out = []
    insns = env.program.insns
    for i in range(start, end):
        ins = insns[i]
        if type(ins) is Call and ins.kind is CallKind.SUBPROG:
            out.append(i + ins.imm + 1)
        elif type(ins) is LoadImm64 and ins.kind is Imm64Kind.FUNC and \
                env.callback_subprogs.get(i + ins.imm + 1) != "async_cb":
            # async callbacks (timers) are roots of their own: they run on their own stack
            out.append(i + ins.imm + 1)
    return out


def _walk(env: Env, subprogs: dict, first: list[tuple[int, int]], start: int, depth: int,
          frame: int) -> None:
    """Add ``start``'s frame to the chain's ``depth``; note the first chain over the limit.

    A module function, not a closure calling itself: that closure would be a reference cycle
    holding ``env`` (and the whole walk's recording) until the cyclic GC ran."""
    sub = subprogs[start]
    if start and not first and depth >= TAIL_CALL_STACK_LIMIT \
            and has_tail_call(env.program.insns, sub.start, sub.end):
        # a tail call unwinds its own frame but not its callers': 32 x 256 bytes at most
        first.append((0, depth))
    depth += round_up_stack_depth(env.stack_depth.get(start, 0))
    if depth > MAX_BPF_STACK and not first:
        first.append((frame + 1, depth))
    if frame + 1 >= MAX_CALL_FRAMES:
        return  # do_check() already refused deeper chains
    for callee in _callees(env, sub.start, sub.end):
        if callee in subprogs:
            _walk(env, subprogs, first, callee, depth, frame + 1)


def check_max_stack_depth(env: Env, last_insn: int | None = None) -> Diagnostic | None:
    """The kernel's refusal of a call chain whose stack is over 512 bytes, or None.

    ``last_insn``: the last instruction the walk processed, where the kernel's log stands
    when it prints the refusal (the diagnostic's ``insn``)."""
    subprogs = {s.start: s for s in env.cfg.subprogs}
    first: list[tuple[int, int]] = []  # (frames, depth) where a chain first went over
    # the kernel walks the async callbacks' subtrees first (highest subprogram first), then main
    roots = sorted((s for s, kind in env.callback_subprogs.items() if kind == "async_cb"),
                   reverse=True)
    for root in [*roots, 0]:
        if root in subprogs and not first:
            _walk(env, subprogs, first, root, 0, 0)
    if not first:
        return None
    frames, depth = first[0]
    if not frames:  # a subprogram with a tail call, entered with too much stack below it
        return Diagnostic(last_insn, msg.TAIL_CALL_STACK_TOO_LARGE.format(depth=depth),
                          errno=errno.EACCES)
    return Diagnostic(last_insn, msg.COMBINED_STACK_TOO_LARGE.format(frames=frames, depth=depth),
                      errno=errno.EACCES)
