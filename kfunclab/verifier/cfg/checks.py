"""What ``bpf_check()`` rejects before it explores a single path, in the kernel's order.

:func:`check_cfg` repeats, with the kernel's words (:mod:`kfunclab.verifier.messages`),
``bpf_prog_load``'s size limits, ``add_subprog_and_kfunc``, ``check_subprogs``,
``check_abnormal_return``, ``resolve_pseudo_ldimm64`` and ``check_cfg``'s depth-first search.

>>> from kfunclab.isa.insn import Alu, AluOp, Exit
>>> mov0 = Alu(AluOp.MOV, 0, None, 0)
>>> check_cfg(Program((mov0, Exit(), mov0, Exit()), section="xdp"))
StaticError(insn=2, message='unreachable insn 2', errno=22, check='check_cfg')
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass

from kfunclab.isa.insn import (
    Call,
    CallKind,
    Exit,
    Goto,
    Imm64Kind,
    Imm64Tail,
    Insn,
    Jump,
    LoadImm64,
    LoadPacket,
    MayGoto,
)
from kfunclab.isa.program import Program
from kfunclab.verifier import messages as msg
from kfunclab.verifier.cfg.flow import (
    OP_COND,
    OP_EXIT,
    OP_SUBCALL,
    Flow,
    build_flow,
    helper_in,
)

#: XDP_METADATA_KFUNC_xxx (include/net/xdp.h): kfuncs a device-bound XDP program's driver
#: replaces; the kernel refuses them in a program loaded without prog_ifindex
DEV_BOUND_KFUNCS = frozenset({"bpf_xdp_metadata_rx_timestamp", "bpf_xdp_metadata_rx_hash",
                              "bpf_xdp_metadata_rx_vlan_tag"})
BPF_MAX_SUBPROGS = 256  # include/linux/bpf_verifier.h, main program included
BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000  # program length limit for a bpf_capable loader
BPF_MAXINSNS = 4096  # ... and for one without CAP_BPF / CAP_SYS_ADMIN

_TAIL_CALL = frozenset({"bpf_tail_call"})
# include/linux/license.h license_is_gpl_compatible()
_GPL_COMPATIBLE = frozenset(
    {"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"}
)


@dataclass(frozen=True, slots=True)
class StaticError:
    """A rejection before exploration: the kernel's message and where it was found.

    ``insn`` is the slot the kernel was looking at (the ``%d`` of the message where it has one),
    None when no instruction is to blame (an empty program). ``check`` names the kernel function.
    """

    insn: int | None
    message: str
    errno: int = errno.EINVAL
    check: str = ""


def is_tail_call(ins: Insn) -> bool:
    """A ``call bpf_tail_call`` (helper 12)."""
    return type(ins) is Call and helper_in(ins, _TAIL_CALL)


def license_is_gpl_compatible(license_name: str) -> bool:
    """Whether the kernel counts ``license_name`` as GPL-compatible (kfuncs need it).

    >>> license_is_gpl_compatible("Dual BSD/GPL"), license_is_gpl_compatible("MIT")
    (True, False)
    """
    return license_name in _GPL_COMPATIBLE


def is_bpf_capable(program: Program) -> bool:
    """The kernel's ``bpf_capable()`` for the program's loader: CAP_BPF or CAP_SYS_ADMIN."""
    return program.has_cap("cap_bpf") or program.has_cap("cap_sys_admin")


# --- check_cfg: bpf_check() up to and including check_cfg(), in the kernel's order ----------------
class _Reject(Exception):
    def __init__(self, error: StaticError) -> None:
        super().__init__(error.message)
        self.error = error


KfuncCheck = Callable[[int, Call], StaticError | None]


def check_cfg(
    program: Program, privileged: bool = True, *, kfunc_check: KfuncCheck | None = None
) -> StaticError | None:
    """The first static rejection of ``program`` as Linux 6.18 finds it, or None.

    ``privileged`` is the kernel's ``bpf_capable`` (see :func:`is_bpf_capable`): without it,
    calls and loops are refused. ``kfunc_check(slot, call)`` may add what ``add_kfunc_call``
    checks against BTF; it runs at that point of the order, after the GPL check.

    >>> from kfunclab.isa.insn import Alu, AluOp, Exit
    >>> mov0 = Alu(AluOp.MOV, 0, None, 0)
    >>> check_cfg(Program((mov0, Exit(), mov0, Exit()), section="xdp"))
    StaticError(insn=2, message='unreachable insn 2', errno=22, check='check_cfg')
    """
    insns = program.insns
    limit = BPF_COMPLEXITY_LIMIT_INSNS if privileged else BPF_MAXINSNS
    if not insns or len(insns) > limit:
        text = msg.EMPTY_LOG_REFUSAL.format(errno=errno.E2BIG, name="E2BIG")
        return StaticError(None, text, errno.E2BIG, "bpf_prog_load")
    flow = build_flow(insns)
    try:
        starts = _add_subprog_and_kfunc(program, privileged, kfunc_check)
        _check_subprogs(insns, starts)
        if not program.has_prog_btf:  # check_btf_info() without func_info
            _check_abnormal_return(insns, starts)
        _resolve_pseudo_ldimm64(insns)
        _check_cfg_dfs(insns, flow, privileged)
    except _Reject as reject:
        return reject.error
    return None


def _add_subprog_and_kfunc(
    program: Program, privileged: bool, kfunc_check: KfuncCheck | None
) -> list[int]:
    insns = program.insns
    n = len(insns)
    starts = {0}
    seen_kfunc = False
    for i, ins in enumerate(insns):
        cls = type(ins)
        is_func = cls is LoadImm64 and ins.kind is Imm64Kind.FUNC
        if not is_func and (cls is not Call or ins.kind is CallKind.HELPER):
            continue
        if not privileged:
            raise _Reject(StaticError(i, msg.CALLS_NEED_CAP_BPF, errno.EPERM,
                                      "add_subprog_and_kfunc"))
        if is_func or ins.kind is CallKind.SUBPROG:
            target = i + ins.imm + 1
            if not 0 <= target < n:
                raise _Reject(StaticError(i, msg.CALL_TO_INVALID_DESTINATION, errno.EINVAL,
                                          "add_subprog"))
            if target not in starts:
                if len(starts) >= BPF_MAX_SUBPROGS:
                    raise _Reject(StaticError(i, msg.TOO_MANY_SUBPROGRAMS, errno.E2BIG,
                                              "add_subprog"))
                starts.add(target)
            continue
        if not seen_kfunc and not license_is_gpl_compatible(program.license):
            raise _Reject(StaticError(i, msg.KFUNC_NEEDS_GPL, errno.EINVAL, "add_kfunc_call"))
        seen_kfunc = True
        if kfunc_check is not None:
            error = kfunc_check(i, ins)
            if error is not None:
                raise _Reject(error)
        if ins.name in DEV_BOUND_KFUNCS:  # bpf_dev_bound_kfunc_check(): kfunclab never binds
            raise _Reject(StaticError(i, msg.KFUNC_NEEDS_DEV_BOUND, errno.EINVAL,
                                      "add_kfunc_call"))
    return sorted(starts)


def _check_subprogs(insns: tuple[Insn, ...], starts: list[int]) -> None:
    bounds = [*starts, len(insns)]
    cur, start, end = 0, bounds[0], bounds[1]
    for i, ins in enumerate(insns):
        cls = type(ins)
        if cls is Jump or cls is Goto or cls is MayGoto:
            target = i + ins.off + 1
            if target < start or target >= end:
                text = msg.JUMP_OUT_OF_RANGE.format(insn=i, target=target)
                raise _Reject(StaticError(i, text, errno.EINVAL, "check_subprogs"))
        if i == end - 1:
            if cls is not Exit and cls is not Goto:
                raise _Reject(StaticError(i, msg.LAST_INSN_NOT_EXIT_OR_JMP, errno.EINVAL,
                                          "check_subprogs"))
            cur += 1
            start, end = end, bounds[min(cur + 1, len(bounds) - 1)]


def _check_abnormal_return(insns: tuple[Insn, ...], starts: list[int]) -> None:
    bounds = [*starts, len(insns)]
    for k in range(1, len(starts)):
        span = range(bounds[k], bounds[k + 1])
        ld_abs = next((i for i in span if type(insns[i]) is LoadPacket), None)
        if ld_abs is not None:
            raise _Reject(StaticError(ld_abs, msg.LD_ABS_IN_SUBPROG_WITHOUT_BTF, errno.EINVAL,
                                      "check_abnormal_return"))
        tail_call = next((i for i in span if is_tail_call(insns[i])), None)
        if tail_call is not None:
            raise _Reject(StaticError(tail_call, msg.TAIL_CALL_IN_SUBPROG_WITHOUT_BTF,
                                      errno.EINVAL, "check_abnormal_return"))


#: include/linux/bpf.h MAX_USED_MAPS: distinct maps one program may use
MAX_USED_MAPS = 64
_MAP_KINDS = (Imm64Kind.MAP_FD, Imm64Kind.MAP_VALUE)


def _resolve_pseudo_ldimm64(insns: tuple[Insn, ...]) -> None:
    """resolve_pseudo_ldimm64(): ld_imm64 pairs and the used-maps limit (the maps' program
    type compatibility is verifier/mapcompat.py's, checked first by verify())."""
    n, i = len(insns), 0
    used_maps: set[str | None] = set()
    while i < n:
        cls = type(insns[i])
        if cls is LoadImm64:
            if i == n - 1 or type(insns[i + 1]) is not Imm64Tail:
                raise _Reject(StaticError(i, msg.INVALID_LD_IMM64, errno.EINVAL,
                                          "resolve_pseudo_ldimm64"))
            ins = insns[i]
            if ins.kind in _MAP_KINDS and ins.map_name not in used_maps:
                if len(used_maps) >= MAX_USED_MAPS:  # __add_used_map()
                    raise _Reject(StaticError(i, msg.TOO_MANY_MAPS.format(limit=MAX_USED_MAPS),
                                              errno.E2BIG, "resolve_pseudo_ldimm64"))
                used_maps.add(ins.map_name)
            i += 2
            continue
        if cls is Imm64Tail:  # a stray tail is the kernel's opcode 0x00
            raise _Reject(StaticError(i, msg.UNKNOWN_OPCODE.format(code=0), errno.EINVAL,
                                      "resolve_pseudo_ldimm64"))
        i += 1


_DISCOVERED, _EXPLORED, _FALLTHROUGH, _BRANCH = 0x10, 0x20, 1, 2
_DONE, _KEEP = 0, 1


def _check_cfg_dfs(insns: tuple[Insn, ...], flow: Flow, capable: bool) -> None:
    """check_cfg(): the kernel's iterative DFS (visit_insn/push_insn), then its final sweep."""
    n = len(insns)
    op, ft, br = flow.op, flow.ft, flow.br
    state = bytearray(n)
    stack = [0]
    state[0] = _DISCOVERED

    def push(t: int, w: int, e: int) -> int:
        if state[t] >= _DISCOVERED | e:  # this edge of t is already labelled
            return _DONE
        if w < 0 or w >= n:
            text = msg.JUMP_OUT_OF_RANGE.format(insn=t, target=w)
            raise _Reject(StaticError(t, text, errno.EINVAL, "push_insn"))
        seen = state[w]
        if seen == 0:  # tree edge
            state[t] = _DISCOVERED | e
            state[w] = _DISCOVERED
            stack.append(w)
            return _KEEP
        if seen & 0xF0 == _DISCOVERED:  # back edge: a loop
            if capable:
                return _DONE
            text = msg.BACK_EDGE.format(insn=t, target=w)
            raise _Reject(StaticError(t, text, errno.EINVAL, "push_insn"))
        state[t] = _DISCOVERED | e  # forward or cross edge
        return _DONE

    while stack:
        t = stack[-1]
        o = op[t]
        ret = _DONE if o == OP_EXIT else push(t, ft[t], _FALLTHROUGH)
        if ret == _DONE and o in (OP_COND, OP_SUBCALL):
            ret = push(t, br[t], _BRANCH)
        if ret == _DONE:
            state[t] = _EXPLORED
            stack.pop()

    i = 0
    while i < n:
        if state[i] != _EXPLORED:
            text = msg.UNREACHABLE_INSN.format(insn=i)
            raise _Reject(StaticError(i, text, errno.EINVAL, "check_cfg"))
        if type(insns[i]) is LoadImm64:
            if state[i + 1] != 0:
                text = msg.JUMP_INTO_MIDDLE_OF_LDIMM64.format(insn=i)
                raise _Reject(StaticError(i, text, errno.EINVAL, "check_cfg"))
            i += 2
        else:
            i += 1
