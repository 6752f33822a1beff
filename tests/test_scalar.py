"""The scalar domain against the live Linux 6.18 kernel's verifier log.

The tables below were produced by loading each program on the live kernel
(``/work/shared/tools/kernel-verdict --log``) and copying the ``; R0=...`` annotation of its last
instruction (or the ``from N to M: R0=...`` line for a taken branch). The tests replay the same
program through :mod:`kfunclab.verifier.scalar` offline and compare strings. Each program ran
with ``r0 = 0; exit`` appended (kernel 6.18.44); movsx, byte swaps, JSET and signed division were
hand-encoded as ``.quad`` words because llvm-mc-14 does not know them. The property tests check
soundness: every concrete run of an operation stays inside the abstract result.
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kfunclab.isa.insn import AluOp, EndianKind, JmpOp
from kfunclab.verifier import scalar as sc
from kfunclab.verifier.scalar import (
    S32_MAX,
    S32_MIN,
    S64_MAX,
    S64_MIN,
    Scalar,
    alu,
    branch_taken,
    endian,
    fork_scalars,
    format_scalar,
    load_result,
    refine,
    sign_extend,
    truncate,
    within,
)
from kfunclab.verifier.tnum import U32, U64, Tnum

# --------------------------------------------------------------------------- a tiny interpreter
ALU_OPS = {
    "+": AluOp.ADD, "-": AluOp.SUB, "*": AluOp.MUL, "/": AluOp.DIV, "%": AluOp.MOD,
    "&": AluOp.AND, "|": AluOp.OR, "^": AluOp.XOR, "<<": AluOp.LSH, ">>": AluOp.RSH,
    "s>>": AluOp.ARSH, "s/": AluOp.DIV, "s%": AluOp.MOD,
}
JMP_OPS = {
    "==": JmpOp.JEQ, "!=": JmpOp.JNE, ">": JmpOp.JGT, ">=": JmpOp.JGE, "<": JmpOp.JLT,
    "<=": JmpOp.JLE, "s>": JmpOp.JSGT, "s>=": JmpOp.JSGE, "s<": JmpOp.JSLT, "s<=": JmpOp.JSLE,
    "&": JmpOp.JSET,
}
ENDIAN = {"be": EndianKind.BE, "le": EndianKind.LE, "bswap": EndianKind.BSWAP}
REG = r"([rw])(\d+)"


def _operand(regs: dict[int, Scalar], tok: str) -> tuple[Scalar, int | None]:
    if tok[0] in "rw" and tok[1:].isdigit():
        return regs[int(tok[1:])], int(tok[1:])
    return Scalar.const(int(tok, 0)), None


def step(regs: dict[int, Scalar], line: str, taken: bool = False) -> bool:
    """Apply one instruction (fall-through side of jumps unless ``taken``); False if dead."""
    if line == "call bpf_get_prandom_u32":
        for r in range(6):
            regs.pop(r, None)
        regs[0] = Scalar.unknown()
        return True
    if m := re.fullmatch(REG + r" = (-?\w+) ll", line):
        regs[int(m[2])] = Scalar.const(int(m[3], 0))
        return True
    if m := re.fullmatch(REG + r" = \(s(8|16|32)\)[rw](\d+)", line):
        regs[int(m[2])] = alu(AluOp.MOV, Scalar.unknown(), regs[int(m[4])], m[1] == "r", int(m[3]))
        return True
    if m := re.fullmatch(REG + r" = -[rw](\d+)", line):
        d = int(m[2])
        regs[d] = alu(AluOp.NEG, regs[d], regs[d], m[1] == "r")
        return True
    if m := re.fullmatch(REG + r" = ([rw]\d+|-?\w+)", line):
        src, _ = _operand(regs, m[3])
        regs[int(m[2])] = alu(AluOp.MOV, Scalar.unknown(), src, m[1] == "r")
        return True
    if m := re.fullmatch(r"(be|le|bswap)(16|32|64) r(\d+)", line):
        d = int(m[3])
        regs[d] = endian(ENDIAN[m[1]], int(m[2]), regs[d])
        return True
    if m := re.fullmatch(REG + r" (\S+)= ([rw]\d+|-?\w+)", line):
        d, op = int(m[2]), ALU_OPS[m[3]]
        src, _ = _operand(regs, m[4])
        forked = fork_scalars(op, regs[d], src)
        if forked is not None:  # the pushed twin is not followed here
            regs[d] = forked[0]
        regs[d] = alu(op, regs[d], src, m[1] == "r", 1 if m[3] in ("s/", "s%") else 0)
        return True
    if m := re.fullmatch(r"if " + REG + r" (\S+) ([rw]\d+|-?\w+) goto [+-]\d+", line):
        d = int(m[2])
        src, s = _operand(regs, m[4])
        res = refine(JMP_OPS[m[3]], regs[d], src, m[1] == "r", taken, same=s == d)
        if res is None:
            return False
        regs[d] = res[0]
        if s is not None:
            regs[s] = res[1]
        return True
    raise ValueError(f"test interpreter cannot parse {line!r}")


def run(program: str, taken: bool = False) -> dict[int, Scalar]:
    """Run ``a / b / c``; ``taken`` follows the last jump instead of falling through."""
    regs: dict[int, Scalar] = {}
    lines = [x.strip() for x in program.split(" / ")]
    for i, line in enumerate(lines):
        assert step(regs, line, taken and i == len(lines) - 1), f"dead at {line!r}"
    return regs


def live(name: str, program: str, taken: bool = False, **regs: str) -> object:
    return pytest.param(program, taken, {int(k[1:]): v for k, v in regs.items()}, id=name)


# --------------------------------------------------------------------------- live kernel tables
LIVE_CASES = [
    live(
        "and_mask",
        "call bpf_get_prandom_u32 / r0 &= 7",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=7,var_off=(0x0; 0x7))",
    ),
    live(
        "and_negative_mask",
        "call bpf_get_prandom_u32 / r0 &= -256",
        R0=(
            "scalar(smax=0x7fffffffffffff00,umax=0xffffffffffffff00,smax32=0x7fffff00"
            ",umax32=0xffffff00,var_off=(0x0; 0xffffffffffffff00))"
        ),
    ),
    live(
        "add_after_and",
        "call bpf_get_prandom_u32 / r0 &= 7 / r0 += 5",
        R0="scalar(smin=umin=smin32=umin32=5,smax=umax=smax32=umax32=12,var_off=(0x0; 0xf))",
    ),
    live(
        "add_overflow_u64",
        "call bpf_get_prandom_u32 / r0 |= -16 / r0 += 8",
        R0="scalar(smin=smin32=-8,smax=smax32=7)",
    ),
    live(
        "sub32_wraps",
        "call bpf_get_prandom_u32 / r0 &= 7 / w0 -= 3",
        R0="scalar(smin=0,smax=umax=0xffffffff,smin32=-3,smax32=4,var_off=(0x0; 0xffffffff))",
    ),
    live(
        "sub64_signed",
        "call bpf_get_prandom_u32 / r0 &= 7 / r0 -= 3",
        R0="scalar(smin=smin32=-3,smax=smax32=4)",
    ),
    live(
        "or_const",
        "call bpf_get_prandom_u32 / r0 &= 7 / r0 |= 16",
        R0="scalar(smin=umin=smin32=umin32=16,smax=umax=smax32=umax32=23,var_off=(0x10; 0x7))",
    ),
    live(
        "or_sign_bit",
        "call bpf_get_prandom_u32 / r0 |= 1",
        R0=(
            "scalar(smin=0x8000000000000001,umin=umin32=1,smin32=0x80000001"
            ",var_off=(0x1; 0xfffffffffffffffe))"
        ),
    ),
    live(
        "xor_const",
        "call bpf_get_prandom_u32 / r0 &= 255 / r0 ^= 15",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))",
    ),
    live(
        "mul_const",
        "call bpf_get_prandom_u32 / r0 &= 7 / r0 *= 3",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=21,var_off=(0x0; 0x1f))",
    ),
    live(
        "mul_signed",
        "call bpf_get_prandom_u32 / r0 &= 255 / r0 += -3 / r0 *= -2",
        R0=(
            "scalar(smin=smin32=-504,smax=smax32=6,umax=0xfffffffffffffffe,umax32=0xfffffffe"
            ",var_off=(0x0; 0xfffffffffffffffe))"
        ),
    ),
    live(
        "mul32_regs",
        "call bpf_get_prandom_u32 / r6 = r0 / r6 &= 15"
        " / call bpf_get_prandom_u32 / r0 &= 3 / w6 *= w0",
        R6="scalar(smin=smin32=0,smax=umax=smax32=umax32=45,var_off=(0x0; 0x3f))",
    ),
    live(
        "lsh",
        "call bpf_get_prandom_u32 / r0 &= 255 / r0 <<= 4",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=4080,var_off=(0x0; 0xff0))",
    ),
    live(
        "lsh32_special",
        "call bpf_get_prandom_u32 / r0 &= 255 / r0 <<= 32",
        R0=(
            "scalar(smin=smin32=0,smax=umax=0xff00000000,smax32=umax32=0"
            ",var_off=(0x0; 0xff00000000))"
        ),
    ),
    live(
        "lsh32_alu32",
        "call bpf_get_prandom_u32 / w0 <<= 28",
        R0=(
            "scalar(smin=0,smax=umax=umax32=0xf0000000,smax32=0x70000000"
            ",var_off=(0x0; 0xf0000000))"
        ),
    ),
    live(
        "rsh",
        "call bpf_get_prandom_u32 / r0 &= 4095 / r0 >>= 4",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))",
    ),
    live(
        "rsh_unknown",
        "call bpf_get_prandom_u32 / r0 >>= 40",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=0xffffff,var_off=(0x0; 0xffffff))",
    ),
    live(
        "arsh64",
        "call bpf_get_prandom_u32 / r0 s>>= 60",
        R0="scalar(smin=smin32=-8,smax=smax32=7)",
    ),
    live(
        "arsh64_40",
        "call bpf_get_prandom_u32 / r0 s>>= 40",
        R0="scalar(smin=0xffffffffff800000,smax=smax32=0x7fffff,smin32=0xff800000)",
    ),
    live(
        "arsh32",
        "call bpf_get_prandom_u32 / w0 s>>= 28",
        R0="scalar(smin=0,smax=umax=0xffffffff,smin32=-8,smax32=7,var_off=(0x0; 0xffffffff))",
    ),
    live(
        "neg64",
        "call bpf_get_prandom_u32 / r0 &= 255 / r0 = -r0",
        R0="scalar(smin=smin32=-255,smax=smax32=0)",
    ),
    live(
        "neg32",
        "call bpf_get_prandom_u32 / r0 &= 255 / w0 = -w0",
        R0="scalar(smin=0,smax=umax=0xffffffff,smin32=-255,smax32=0,var_off=(0x0; 0xffffffff))",
    ),
    live(
        "div_unknown",
        "call bpf_get_prandom_u32 / r0 &= 255 / r0 /= 3",
        R0="scalar()",
    ),
    live(
        "div_consts",
        "r0 = 6 / r0 /= 3",
        R0="scalar()",
    ),
    live(
        "mod_consts",
        "r0 = 7 / w0 %= 3",
        R0="scalar()",
    ),
    live(
        "shift_by_unknown",
        "call bpf_get_prandom_u32 / r6 = r0 / r6 &= 7 / call bpf_get_prandom_u32 / w0 <<= w6",
        R0="scalar()",
    ),
    live(
        "shift32_high_bits",
        "r6 = 1 / r6 <<= 40 / r0 = 5 / w0 >>= w6",
        R0="scalar()",
    ),
    live(
        "movsx64_s8",
        "call bpf_get_prandom_u32 / r1 = (s8)r0",
        R1="scalar(smin=smin32=-128,smax=smax32=127)",
    ),
    live(
        "movsx64_s32_range",
        "call bpf_get_prandom_u32 / r0 &= 0x7f / r0 |= 0x80 / r1 = (s8)r0",
        R1=(
            "scalar(smin=smin32=-128,smax=smax32=-1,umin=0xffffffffffffff80,umin32=0xffffff80"
            ",var_off=(0xffffffffffffff80; 0x7f))"
        ),
    ),
    live(
        "movsx32_s16",
        "call bpf_get_prandom_u32 / w1 = (s16)w0",
        R1=(
            "scalar(smin=0,smax=umax=0xffffffff,smin32=-32768,smax32=32767"
            ",var_off=(0x0; 0xffffffff))"
        ),
    ),
    live(
        "movsx_const",
        "r0 = 200 / r1 = (s8)r0",
        R1="-56",
    ),
    live(
        "mov32",
        "call bpf_get_prandom_u32 / r0 s>>= 1 / w1 = w0",
        R1="scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))",
    ),
    live(
        "be16",
        "call bpf_get_prandom_u32 / r0 &= 255 / be16 r0",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=0xff00,var_off=(0x0; 0xff00))",
    ),
    live(
        "be32",
        "call bpf_get_prandom_u32 / r0 &= 255 / be32 r0",
        R0=(
            "scalar(smin=0,smax=umax=umax32=0xff000000,smax32=0x7f000000"
            ",var_off=(0x0; 0xff000000))"
        ),
    ),
    live(
        "bswap64",
        "call bpf_get_prandom_u32 / r0 &= 255 / bswap64 r0",
        R0=(
            "scalar(smax=0x7f00000000000000,umax=0xff00000000000000,smin32=0,smax32=umax32=0"
            ",var_off=(0x0; 0xff00000000000000))"
        ),
    ),
    live(
        "le16",
        "call bpf_get_prandom_u32 / le16 r0",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=0xffff,var_off=(0x0; 0xffff))",
    ),
    live(
        "le32_range",
        "call bpf_get_prandom_u32 / r0 &= 0x1ffff / le32 r0",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=0x1ffff,var_off=(0x0; 0x1ffff))",
    ),
    live(
        "jgt_fallthrough",
        "call bpf_get_prandom_u32 / if r0 > 10 goto +0",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf))",
    ),
    live(
        "jgt_taken",
        "call bpf_get_prandom_u32 / if r0 > 10 goto +0",
        R0="scalar(umin=11)",
        taken=True,
    ),
    live(
        "jsgt_jslt",
        "call bpf_get_prandom_u32 / if r0 s> 100 goto +1 / if r0 s< -100 goto +0",
        R0="scalar(smin=smin32=-100,smax=smax32=100)",
    ),
    live(
        "jne_edge",
        "call bpf_get_prandom_u32 / r0 &= 7 / if r0 == 0 goto +0",
        R0="scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=7,var_off=(0x0; 0x7))",
    ),
    live(
        "jeq_taken",
        "call bpf_get_prandom_u32 / r0 &= 7 / if r0 == 3 goto +0",
        R0="3",
        taken=True,
    ),
    live(
        "jeq_regs_taken",
        "call bpf_get_prandom_u32 / r6 = r0 / r6 &= 15"
        " / call bpf_get_prandom_u32 / r0 |= 8 / if r6 == r0 goto +0",
        R0="scalar(smin=umin=smin32=umin32=8,smax=umax=smax32=umax32=15,var_off=(0x8; 0x7))",
        R6="scalar(smin=umin=smin32=umin32=8,smax=umax=smax32=umax32=15,var_off=(0x8; 0x7))",
        taken=True,
    ),
    live(
        "jset_true_taken",
        "call bpf_get_prandom_u32 / r0 &= 255 / if r0 & 8 goto +0",
        R0="scalar(smin=umin=smin32=umin32=8,smax=umax=smax32=umax32=255,var_off=(0x8; 0xf7))",
        taken=True,
    ),
    live(
        "jset_false",
        "call bpf_get_prandom_u32 / r0 &= 255 / if r0 & 8 goto +0",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=247,var_off=(0x0; 0xf7))",
    ),
    live(
        "jmp32_jgt",
        "call bpf_get_prandom_u32 / if w0 > 5 goto +0",
        R0=(
            "scalar(smax=0x7fffffff00000005,umax=0xffffffff00000005,smin32=0,smax32=umax32=5"
            ",var_off=(0x0; 0xffffffff00000007))"
        ),
    ),
    live(
        "jmp32_jsge_taken",
        "call bpf_get_prandom_u32 / if w0 s>= -5 goto +0",
        R0="scalar(smin32=-5)",
        taken=True,
    ),
    live(
        "jlt_regs",
        "call bpf_get_prandom_u32 / r6 = r0 / r6 &= 255"
        " / call bpf_get_prandom_u32 / r0 &= 1023 / if r6 < r0 goto +0",
        R0="scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))",
        R6="scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))",
    ),
    live(
        "tnum_step_snap",
        "call bpf_get_prandom_u32 / r0 &= 0x10 / if r0 == 0 goto +0",
        R0="16",
    ),
    live(
        "s32_crossing",
        "call bpf_get_prandom_u32 / w0 &= -1 / if w0 < 3 goto +1 / if w0 s> 1 goto +0",
        R0=(
            "scalar(smin=umin=umin32=0x80000000,smax=umax=0xffffffff,smax32=-1"
            ",var_off=(0x80000000; 0x7fffffff))"
        ),
    ),
    # reg_bounds_sync() runs __reg_deduce_bounds() three times: two would leave umax32 looser
    live(
        "three_rounds_ft",
        "call bpf_get_prandom_u32 / r0 |= 1 / w0 ^= 255 / r0 += -1 / if w0 == -1 goto +0",
        R0=(
            "scalar(smin=umin=umin32=1,smax=umax=umax32=0xfffffffd,smin32=0x80000001,"
            "var_off=(0x1; 0xfffffffe))"
        ),
    ),
    live(
        "three_rounds_taken",
        "call bpf_get_prandom_u32 / r0 &= -256 / w0 ^= -2147483648 / r0 -= 1"
        " / if w0 != -1 goto +0",
        R0=(
            "scalar(smin=umin=umin32=255,smax=umax=umax32=0xfffffeff,smin32=0x800000ff,"
            "var_off=(0xff; 0xffffff00))"
        ),
        taken=True,
    ),
    # same register against itself: the kernel refines it through aliased pointers
    live(
        "same_reg_violation",
        "call bpf_get_prandom_u32 / r0 s>>= 63 / if w0 s>= w0 goto +0",
        R0="scalar()",
    ),
    live(
        "same_reg_snaps_const",
        "call bpf_get_prandom_u32 / r0 &= 16 / if w0 <= w0 goto +0",
        R0="0",
    ),
    live(
        "lsh32_negative_s32",
        "call bpf_get_prandom_u32 / r0 s>>= 40 / r0 <<= 32",
        R0=(
            "scalar(smin=0xff80000000000000,smax=0x7fffff00000000,umax=0xffffffff00000000,"
            "smin32=0,smax32=umax32=0,var_off=(0x0; 0xffffffff00000000))"
        ),
    ),
    live(
        "fork_and",
        "call bpf_get_prandom_u32 / r0 s>>= 63 / r0 &= 12",
        R0="12",
    ),
    live(
        "fork_or32",
        "call bpf_get_prandom_u32 / w0 s>>= 31 / w0 |= 5",
        R0="0xffffffff",
    ),
    live(
        "same_reg_jslt_taken",
        "call bpf_get_prandom_u32 / if w0 s> w0 goto +0",
        R0="scalar(smin32=0x80000001,smax32=0x7ffffffe)",
        taken=True,
    ),
    live(
        "const_hex",
        "r0 = 65535",
        R0="0xffff",
    ),
    live(
        "const_neg",
        "r0 = -32768",
        R0="-32768",
    ),
    live(
        "const_neg_hex",
        "r0 = -32769",
        R0="0xffffffffffff7fff",
    ),
    live(
        "const_big_ll",
        "r0 = 0x123456789 ll",
        R0="0x123456789",
    ),
    live(
        "hex_smin32",
        "call bpf_get_prandom_u32 / r0 |= -65536",
        R0=(
            "scalar(smin=0xffffffffffff0000,smax=smax32=-1,umin=0xffffffffffff0000"
            ",smin32=umin32=0xffff0000,var_off=(0xffffffffffff0000; 0xffff))"
        ),
    ),
]


@pytest.mark.parametrize(("program", "taken", "expected"), LIVE_CASES)
def test_matches_live_kernel_log(program: str, taken: bool, expected: dict[int, str]) -> None:
    regs = run(program, taken)
    assert {r: format_scalar(regs[r]) for r in expected} == expected


BRANCH_CASES = [
    ("jgt_never", "call bpf_get_prandom_u32 / r0 &= 7 / if r0 > 7 goto +1", False),
    ("jgt_unknown", "call bpf_get_prandom_u32 / r0 &= 7 / if r0 > 6 goto +1", None),
    ("jle_always", "call bpf_get_prandom_u32 / r0 &= 7 / if r0 <= 7 goto +1", True),
    ("jsgt_signed_never", "call bpf_get_prandom_u32 / r0 s>>= 60 / if r0 s> 7 goto +1", False),
    ("jsge_signed_always", "call bpf_get_prandom_u32 / r0 s>>= 60 / if r0 s>= -8 goto +1", True),
    ("jslt_unsigned_view", "call bpf_get_prandom_u32 / r0 s>>= 60 / if r0 < 8 goto +1", None),
    (
        "jeq_tnum_disjoint",
        "call bpf_get_prandom_u32 / r6 = r0 / r6 &= -256 / call bpf_get_prandom_u32"
        " / r0 |= 1 / if r6 == r0 goto +1",
        False,
    ),
    ("jne_tnum_disjoint", "call bpf_get_prandom_u32 / r0 &= -2 / if r0 != 1 goto +1", True),
    ("jeq_consts", "r0 = 5 / if r0 == 5 goto +1", True),
    ("jeq_range_overlap", "call bpf_get_prandom_u32 / r0 &= 7 / if r0 == 5 goto +1", None),
    ("jset_never", "call bpf_get_prandom_u32 / r0 &= 7 / if r0 & 8 goto +1", False),
    ("jset_always", "call bpf_get_prandom_u32 / r0 |= 4 / if r0 & 12 goto +1", True),
    ("jset_unknown", "call bpf_get_prandom_u32 / r0 &= 12 / if r0 & 4 goto +1", None),
    ("jmp32_low_half", "call bpf_get_prandom_u32 / r0 <<= 32 / if w0 != 0 goto +1", False),
    ("jmp64_uses_subreg", "call bpf_get_prandom_u32 / r0 |= 1 / if r0 == 0 goto +1", False),
    (
        "jmp32_s32_crossing",
        "call bpf_get_prandom_u32 / w0 &= -1 / if w0 < 3 goto +3"
        " / if w0 s> 1 goto +2 / if w0 s< 0 goto +1",
        True,
    ),
    ("same_reg_jgt", "call bpf_get_prandom_u32 / if r0 > r0 goto +1", None),
    ("same_reg_const", "r0 = 3 / if r0 >= r0 goto +1", True),
]


@pytest.mark.parametrize(
    ("program", "expected"), [pytest.param(p, e, id=n) for n, p, e in BRANCH_CASES]
)
def test_branch_taken_matches_live_kernel(program: str, expected: bool | None) -> None:
    *body, jump = [x.strip() for x in program.split(" / ")]
    regs = run(" / ".join(body)) if body else {}
    m = re.fullmatch(r"if " + REG + r" (\S+) ([rw]\d+|-?\w+) goto [+-]\d+", jump)
    assert m is not None
    src, _ = _operand(regs, m[4])
    assert branch_taken(JMP_OPS[m[3]], regs[int(m[2])], src, m[1] == "r") is expected


def test_three_deduce_rounds_are_what_the_kernel_does(monkeypatch: pytest.MonkeyPatch) -> None:
    # The live kernel merged umax=umax32=0xfffffffd here; two rounds leave umax32=0xfffffffe.
    program = "call bpf_get_prandom_u32 / r0 |= 1 / w0 ^= 255 / r0 += -1 / if w0 == -1 goto +0"
    want = format_scalar(run(program)[0])
    monkeypatch.setattr(sc.bounds, "DEDUCE_ROUNDS", 2)
    monkeypatch.setattr(sc.value, "_SYNC_CACHE", {})  # the memo tables hold 3-round results
    monkeypatch.setattr(sc.transfer, "_CACHE", {})
    monkeypatch.setattr(sc.branches, "_REFINE_CACHE", {})
    assert format_scalar(run(program)[0]) != want


def test_linked_registers_follow_the_branch() -> None:
    # live log of: r0 &= 255; r1 = r0; r1 += -4; if r1 s< 10 goto +1
    #   4: ... ; R1=scalar(id=1-4,smin=umin=smin32=umin32=10,...)   5: ... R0=scalar(id=1,...)
    #   from 4 to 6: R0=scalar(id=1,...,umax32=13,...) R1=scalar(id=1-4,smin=smin32=-4,...)
    r0 = alu(AluOp.AND, Scalar.unknown(), Scalar.const(255), True)
    r1 = alu(AluOp.ADD, r0, Scalar.const(-4), True)
    assert format_scalar(r1, id=1, add_const=-4) == "scalar(id=1-4,smin=smin32=-4,smax=smax32=251)"
    fall, _ = refine(JmpOp.JSLT, r1, Scalar.const(10), True, taken=False)
    jump, _ = refine(JmpOp.JSLT, r1, Scalar.const(10), True, taken=True)
    assert format_scalar(fall, id=1, add_const=-4) == (
        "scalar(id=1-4,smin=umin=smin32=umin32=10,smax=umax=smax32=umax32=251,var_off=(0x0; 0xff))"
    )
    assert format_scalar(sc.linked_add(fall, 4), id=1) == (
        "scalar(id=1,smin=umin=smin32=umin32=14,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))"
    )
    assert format_scalar(jump, id=1, add_const=-4) == "scalar(id=1-4,smin=smin32=-4,smax=smax32=9)"
    assert format_scalar(sc.linked_add(jump, 4), id=1) == (
        "scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=13,var_off=(0x0; 0xf))"
    )


def test_invariant_violation_log_line() -> None:
    # live log: "verifier bug: REG INVARIANTS VIOLATION (false_reg1): ..." then R0=scalar()
    r0 = run("call bpf_get_prandom_u32 / r0 s>>= 63")[0]
    raw, _ = refine(JmpOp.JSGE, r0, r0, False, taken=False, same=True, checked=False)
    assert sc.bounds_violation(raw, "false_reg1") == (
        "verifier bug: REG INVARIANTS VIOLATION (false_reg1): range bounds violation "
        "u64=[0x0, 0xffffffffffffffff] s64=[0x0, 0xffffffffffffffff] u32=[0x0, 0xffffffff] "
        "s32=[0x0, 0xffffffff] var_off=(0x0, 0xffffffffffffffff)"
    )
    assert sc.sanity_check(raw) == Scalar.unknown()
    assert sc.bounds_violation(r0, "alu") is None


# --------------------------------------------------------------------------- formatting
@pytest.mark.parametrize(
    ("value", "kwargs", "text"),
    [
        (Scalar.const(5), {}, "5"),
        (Scalar.const(5), {"precise": True}, "P5"),
        (Scalar.const(32767), {}, "32767"),
        (Scalar.const(32768), {}, "0x8000"),
        (Scalar.const(0xFFFF), {}, "0xffff"),
        (Scalar.const(-1), {}, "-1"),
        (Scalar.unknown(), {}, "scalar()"),
        (Scalar.unknown(), {"id": 1}, "scalar(id=1)"),
        (Scalar.unknown(), {"precise": True}, "Pscalar()"),
        # "3: (07) r1 += 5 ; R1=scalar(id=1+5,...)" in the live log
        (
            alu(AluOp.ADD, Scalar.range_u(0, 7), Scalar.const(5), True),
            {"id": 1, "add_const": 5},
            "scalar(id=1+5,smin=umin=smin32=umin32=5,smax=umax=smax32=umax32=12,"
            "var_off=(0x0; 0xf))",
        ),
        # "12: (14) w7 -= 3 ; R7=scalar(id=1-3,...)" in the live log
        (
            alu(AluOp.SUB, Scalar.range_u(0, 7), Scalar.const(3), False),
            {"id": 1, "add_const": -3},
            "scalar(id=1-3,smin=0,smax=umax=0xffffffff,smin32=-3,smax32=4,"
            "var_off=(0x0; 0xffffffff))",
        ),
        (
            Scalar.range_u(6, 1 << 40),
            {},
            "scalar(smin=umin=6,smax=umax=0x10000000000,var_off=(0x0; 0x1ffffffffff))",
        ),
    ],
)
def test_format_scalar(value: Scalar, kwargs: dict, text: str) -> None:
    assert format_scalar(value, **kwargs) == text


def test_format_merges_only_equal_signs() -> None:
    # smin=-5 and umin (unsigned 0xff...fb) must not merge; smin32 in decimal merges with smin.
    x = Scalar.range_s(-5, -1)
    assert format_scalar(x) == (
        "scalar(smin=smin32=-5,smax=smax32=-1,umin=0xfffffffffffffffb,umin32=0xfffffffb,"
        "var_off=(0xfffffffffffffff8; 0x7))"
    )


# --------------------------------------------------------------------------- loads and casts
def test_load_results_match_live_map_value_loads() -> None:
    # r1 = *(u8 *)(r0 + 0) ... r7 = *(s32 *)(r0 + 0) from an array map value, live kernel log
    assert [format_scalar(load_result(n)) for n in (1, 2, 4, 8)] == [
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))",
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=0xffff,var_off=(0x0; 0xffff))",
        "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))",
        "scalar()",
    ]
    assert [format_scalar(load_result(n, signed=True)) for n in (1, 2, 4)] == [
        "scalar(smin=smin32=-128,smax=smax32=127)",
        "scalar(smin=smin32=-32768,smax=smax32=32767)",
        "scalar(smin=0xffffffff80000000,smax=0x7fffffff)",
    ]


def test_fork_scalars_splits_minus_one_and_zero() -> None:
    assert fork_scalars(AluOp.AND, Scalar.range_s(-1, 0), Scalar.const(12)) == (
        Scalar.const(-1),
        Scalar.const(0),
    )
    assert fork_scalars(AluOp.ADD, Scalar.range_s(-1, 0), Scalar.const(12)) is None
    assert fork_scalars(AluOp.AND, Scalar.range_s(-1, 1), Scalar.const(12)) is None
    assert fork_scalars(AluOp.AND, Scalar.range_s(-1, 0), Scalar.range_u(0, 1)) is None


def test_scalar_is_a_hashable_value() -> None:
    a = alu(AluOp.AND, Scalar.unknown(), Scalar.const(7), True)
    b = Scalar.range_u(0, 7)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert Scalar.const(7).is_const and Scalar.const(7).const_value == 7
    assert not a.is_const and not a.is_unknown and Scalar.unknown().is_unknown
    with pytest.raises(AttributeError):
        a.smin = 3  # type: ignore[misc]


def test_bad_mov_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="off must be"):
        alu(AluOp.MOV, Scalar.unknown(), Scalar.unknown(), False, off=32)


def test_within() -> None:
    wide, narrow = Scalar.range_u(0, 100), Scalar.range_u(10, 20)
    assert within(wide, narrow) and not within(narrow, wide)
    assert within(Scalar.unknown(), narrow) and not within(narrow, Scalar.unknown())
    # same ranges but a tnum that is not a subset
    assert not within(Scalar.range_u(0, 7), alu(AluOp.AND, Scalar.unknown(), Scalar.const(8), True))


# --------------------------------------------------------------------------- soundness
#: KFUNCLAB_DEEP=50 multiplies the example counts for a long soundness hunt.
DEEP = int(os.environ.get("KFUNCLAB_DEEP", "1"))
INTERESTING = [0, 1, 2, 7, 8, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, U32, 1 << 32,
               (1 << 63) - 1, 1 << 63, U64, U64 - 1, U64 - 7, U64 ^ U32]
u64s = st.one_of(st.sampled_from(INTERESTING), st.integers(0, U64),
                 st.integers(0, 64), st.integers(U64 - 64, U64))


def _s(x: int, bits: int) -> int:
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


@st.composite
def members(draw: st.DrawFn) -> tuple[Scalar, list[int]]:
    """A well-formed Scalar and some concrete values it stands for (the first built in)."""
    x = draw(u64s)
    if draw(st.integers(0, 5)) == 0:
        return Scalar.const(x), [x]
    mask = draw(st.one_of(st.sampled_from([0, 1, 0xF, 0xFF, 0xFFFF, U32, U32 << 32, U64 >> 1,
                                            U64]), st.integers(0, U64)))

    def lohi(v: int, lo: int, hi: int) -> tuple[int, int]:
        a = draw(st.one_of(st.just(lo), st.integers(lo, v), st.integers(max(lo, v - 300), v)))
        b = draw(st.one_of(st.just(hi), st.integers(v, hi), st.integers(v, min(hi, v + 300))))
        return a, b

    smin, smax = lohi(_s(x, 64), S64_MIN, S64_MAX)
    umin, umax = lohi(x, 0, U64)
    s32min, s32max = lohi(_s(x, 32), S32_MIN, S32_MAX)
    u32min, u32max = lohi(x & U32, 0, U32)
    val = sc.sync(Scalar(Tnum(x & ~mask, mask), smin, smax, umin, umax, s32min, s32max, u32min,
                         u32max))
    assert val.contains(x)
    xs = [x]
    for _ in range(6):
        y = (val.var_off.value | (draw(st.integers(0, U64)) & val.var_off.mask))
        if val.contains(y):
            xs.append(y)
    for edge in (val.umin, val.umax, val.smin & U64, val.smax & U64):
        if val.contains(edge):
            xs.append(edge)
    return val, xs


def concrete(op: AluOp, x: int, y: int, wide: bool, off: int = 0) -> int | None:
    """What the CPU computes (None: DIV/MOD, where the verifier claims nothing anyway)."""
    bits = 64 if wide else 32
    m = (1 << bits) - 1
    a, b = x & m, y & m
    r = {
        AluOp.ADD: a + b, AluOp.SUB: a - b, AluOp.MUL: a * b, AluOp.AND: a & b,
        AluOp.OR: a | b, AluOp.XOR: a ^ b, AluOp.NEG: -a, AluOp.LSH: a << (b & (bits - 1)),
        AluOp.RSH: a >> (b & (bits - 1)), AluOp.ARSH: _s(a, bits) >> (b & (bits - 1)),
    }.get(op)
    return None if r is None else r & m


BIN_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.AND, AluOp.OR, AluOp.XOR, AluOp.LSH,
           AluOp.RSH, AluOp.ARSH, AluOp.NEG, AluOp.DIV, AluOp.MOD]


@settings(max_examples=150 * DEEP, deadline=None)
@given(members(), members(), st.sampled_from(BIN_OPS), st.booleans())
def test_alu_is_sound(a: tuple, b: tuple, op: AluOp, wide: bool) -> None:
    (da, xs), (db, ys) = a, b
    if op in (AluOp.LSH, AluOp.RSH, AluOp.ARSH) and db.is_const:
        # also exercise in-range constant shift amounts
        db = Scalar.const(db.const_value % (64 if wide else 32))
        ys = [db.const_value]
    out = alu(op, da, db, wide)
    for x in xs:
        for y in ys:
            r = concrete(op, x, y, wide)
            if r is not None:
                assert out.contains(r), (op, wide, da, db, x, y, r, out)


@settings(max_examples=60 * DEEP, deadline=None)
@given(members(), st.sampled_from([0, 8, 16, 32]), st.booleans())
def test_mov_and_movsx_are_sound(a: tuple, off: int, wide: bool) -> None:
    da, xs = a
    assume(wide or off != 32)
    out = alu(AluOp.MOV, Scalar.unknown(), da, wide, off)
    for x in xs:
        v = x if off == 0 else _s(x, off)
        assert out.contains(v if wide else (v & U32))


@settings(max_examples=60 * DEEP, deadline=None)
@given(members(), st.sampled_from([1, 2, 4, 8]))
def test_truncate_and_sign_extend_are_sound(a: tuple, size: int) -> None:
    da, xs = a
    for x in xs:
        assert truncate(da, size).contains(x & ((1 << (8 * size)) - 1))
        assert sign_extend(da, size).contains(_s(x, 8 * size))


@settings(max_examples=50 * DEEP, deadline=None)
@given(members(), st.sampled_from(list(EndianKind)), st.sampled_from([16, 32, 64]))
def test_endian_is_sound(a: tuple, kind: EndianKind, bits: int) -> None:
    da, xs = a
    out = endian(kind, bits, da)
    for x in xs:
        v = x & ((1 << bits) - 1)
        if kind is not EndianKind.LE:
            v = int.from_bytes(v.to_bytes(bits // 8, "little"), "big")
        assert out.contains(v)


def holds(op: JmpOp, x: int, y: int, wide: bool) -> bool:
    bits = 64 if wide else 32
    a, b = x & ((1 << bits) - 1), y & ((1 << bits) - 1)
    sa, sb = _s(a, bits), _s(b, bits)
    return {
        JmpOp.JEQ: a == b, JmpOp.JNE: a != b, JmpOp.JGT: a > b, JmpOp.JGE: a >= b,
        JmpOp.JLT: a < b, JmpOp.JLE: a <= b, JmpOp.JSGT: sa > sb, JmpOp.JSGE: sa >= sb,
        JmpOp.JSLT: sa < sb, JmpOp.JSLE: sa <= sb, JmpOp.JSET: bool(a & b),
    }[op]


@settings(max_examples=150 * DEEP, deadline=None)
@given(members(), members(), st.sampled_from(list(JmpOp)), st.booleans())
def test_branch_taken_and_refine_are_sound(a: tuple, b: tuple, op: JmpOp, wide: bool) -> None:
    (da, xs), (db, ys) = a, b
    pred = branch_taken(op, da, db, wide)
    for taken in (True, False):
        res = refine(op, da, db, wide, taken)
        for x in xs:
            for y in ys:
                if holds(op, x, y, wide) != taken:
                    continue
                assert pred is None or pred == taken, (op, wide, da, db, x, y)
                assert res is not None
                assert res[0].contains(x) and res[1].contains(y), (op, taken, da, db, x, y, res)


@settings(max_examples=60 * DEEP, deadline=None)
@given(members(), st.sampled_from(list(JmpOp)), st.booleans())
def test_refine_against_itself_is_sound(a: tuple, op: JmpOp, wide: bool) -> None:
    da, xs = a
    for taken in (True, False):
        res = refine(op, da, da, wide, taken, same=True)
        for x in xs:
            if holds(op, x, x, wide) == taken:
                assert res is not None and res[0].contains(x)


@settings(max_examples=60 * DEEP, deadline=None)
@given(members(), members())
def test_within_means_inclusion(a: tuple, b: tuple) -> None:
    (old, _), (cur, ys) = a, b
    if within(old, cur):
        assert all(old.contains(y) for y in ys)
    assert within(cur, cur)
