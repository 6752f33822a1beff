"""The issue-3 benchmark's program generator (bench/diamonds.py): shape only, no timing, no kernel.

The benchmark's counts are only comparable with the kernel's if every program has exactly the
shape the kernel figures were taken with: one random number, N diamonds of five instructions
(the fifth, ``r7 += 2^i``, on the fall-through only), the ``__k`` epilogue.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from kfunclab.isa.insn import Alu, AluOp, Call, Exit, JmpOp, Jump
from kfunclab.isa.parser import parse_program

_BENCH = Path(__file__).resolve().parent.parent / "bench" / "diamonds.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_diamonds", _BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


diamonds = _load_bench()


@pytest.mark.parametrize("n", [1, 2, 8, 16, 20, 31])
def test_program_has_expected_size_and_branches(n: int) -> None:
    prog = parse_program(diamonds.diamond_program(n), f"diamonds{n}.s")
    insns = [ins for _, ins in prog.instructions()]
    assert prog.section == "syscall"
    assert len(insns) == diamonds.program_insn_count(n) == 3 + 5 * n + 8
    jumps = [(slot, ins) for slot, ins in prog.instructions() if isinstance(ins, Jump)]
    assert len(jumps) == n
    for slot, jump in jumps:
        # if r1 == 0 goto skip_i: skips exactly the one "r7 += 2^i"
        assert (jump.op, jump.dst, jump.src, jump.imm, jump.off) == (JmpOp.JEQ, 1, None, 0, 1)
        assert isinstance(prog.insns[slot + 1], Alu) and prog.insns[slot + 1].dst == 7


@pytest.mark.parametrize("n", [1, 5, 20])
def test_each_diamond_tests_its_own_bit_and_adds_its_power_of_two(n: int) -> None:
    prog = parse_program(diamonds.diamond_program(n), "d.s")
    shifts = [ins.imm for ins in prog.insns if isinstance(ins, Alu) and ins.op is AluOp.RSH]
    adds = [ins.imm for ins in prog.insns
            if isinstance(ins, Alu) and ins.op is AluOp.ADD and ins.dst == 7]
    assert shifts == list(range(n))
    assert adds == [1 << i for i in range(n)] + [0]  # the last one is the epilogue's + 0


def test_calls_and_epilogue() -> None:
    prog = parse_program(diamonds.diamond_program(4), "d.s")
    insns = [ins for _, ins in prog.instructions()]
    calls = [ins.name for ins in insns if isinstance(ins, Call)]
    assert calls == ["bpf_get_prandom_u32", "bpf_rdonly_cast"]
    tail = insns[-8:]
    assert [(i.op, i.dst, i.imm) for i in tail[:3]] == [
        (AluOp.AND, 7, 1), (AluOp.MUL, 7, 0), (AluOp.ADD, 7, 0)]
    # the multiplier is struct cgroup's id in the BTF in use, resolved by verify()
    assert [r.text for r in prog.type_ids] == ["bpf_core_type_id_kernel(struct cgroup)"]
    assert (tail[4].op, tail[4].dst, tail[4].src) == (AluOp.MOV, 2, 7)  # r2 = r7: the __k arg
    assert isinstance(tail[5], Call) and isinstance(tail[-1], Exit)


@pytest.mark.parametrize("n", [0, -1, 32])
def test_out_of_range_counts_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match=r"diamond count must be 1\.\.31"):
        diamonds.diamond_program(n)


def test_table_flags_disagreement() -> None:
    ours = diamonds.Measure("accept", 191, 16, 12, 4, 0.5, 0.4)
    same = diamonds.Measure("accept", 191, 16, 12, 4, 0.01, inside_s=0.001)
    other = diamonds.Measure("accept", 191, 17, 12, 4, 0.01)
    rows = diamonds.format_table([(4, ours, same), (4, ours, other), (4, ours, None)])
    lines = rows.splitlines()
    assert lines[2].endswith("| yes |")
    assert lines[3].endswith("| **NO** |")
    assert lines[4].endswith("| (no kernel) |")
