"""Tracked numbers: kernel examples, exact results, and soundness of every operation."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kfunclab.verifier import tnum
from kfunclab.verifier.tnum import U32, U64, Tnum, tnum_const, tnum_range

DEEP = int(os.environ.get("KFUNCLAB_DEEP", "1"))


# --------------------------------------------------------------------------- exact results
@pytest.mark.parametrize(
    ("got", "want"),
    [
        # tnum_range: smallest power-of-two aligned block around [lo, hi]
        (tnum_range(5, 12), Tnum(0, 0xF)),
        (tnum_range(16, 23), Tnum(0x10, 0x7)),
        (tnum_range(7, 7), Tnum(7, 0)),
        (tnum_range(0, U64), Tnum(0, U64)),
        (tnum_range(1, 1 << 63), Tnum(0, U64)),
        # the example in kernel/bpf/tnum.c: 11 * x1 = union(0011, 1001) = x0x1
        (tnum.mul(Tnum(1, 2), tnum_const(3)), Tnum(0b0001, 0b1010)),
        # multiplication iterates over the first operand: not commutative in precision
        (tnum.mul(tnum_const(3), Tnum(1, 2)), Tnum(0b0001, 0b1110)),
        (tnum.add(tnum_const(1), Tnum(0, 3)), Tnum(0, 7)),
        (tnum.sub(tnum_const(0), tnum_const(1)), tnum_const(U64)),
        (tnum.neg(Tnum(0, 0xFF)), Tnum(0, U64)),
        (tnum.and_(Tnum(0, U64), tnum_const(7)), Tnum(0, 7)),
        (tnum.or_(Tnum(0, 7), tnum_const(0x10)), Tnum(0x10, 7)),
        (tnum.xor(Tnum(0x10, 7), tnum_const(0x1F)), Tnum(0x08, 7)),
        # disagreeing known bits come out as known 1
        (tnum.intersect(tnum_const(1), tnum_const(2)), tnum_const(3)),
        (tnum.intersect(Tnum(0, 0xF), Tnum(8, 0x30)), Tnum(8, 0)),
        (tnum.union(tnum_const(3), tnum_const(9)), Tnum(1, 0xA)),
        (tnum.lshift(Tnum(1, 2), 62), Tnum(1 << 62, 1 << 63)),
        (tnum.rshift(Tnum(1 << 63, 1), 63), tnum_const(1)),
        (tnum.arshift(Tnum(1 << 63, 0xF), 60, 64), Tnum(0xFFFFFFFFFFFFFFF8, 0)),
        (tnum.arshift(Tnum(0x80000000, 0), 4, 32), Tnum(0xF8000000, 0)),
        (tnum.arshift(Tnum(0, 0x80000000), 28, 32), Tnum(0, 0xFFFFFFF8)),
        (tnum.cast(Tnum(0x1234, 0xF0000), 1), Tnum(0x34, 0)),
        (tnum.subreg(Tnum(U64 ^ 0xF, 0xF)), Tnum(U32 ^ 0xF, 0xF)),
        (tnum.clear_subreg(Tnum(U64 ^ 0xF, 0xF)), Tnum(U64 ^ U32, 0)),
        (tnum.with_subreg(Tnum(1 << 40, 0), Tnum(5, 2)), Tnum((1 << 40) | 5, 2)),
        (tnum.const_subreg(Tnum(1 << 40, 1 << 41), 7), Tnum((1 << 40) | 7, 1 << 41)),
        (tnum.bswap16(Tnum(0xAB12, 0xF0)), Tnum(0x12AB, 0xF000)),
        (tnum.bswap32(tnum_const(0x11223344)), tnum_const(0x44332211)),
        (tnum.bswap64(Tnum(0xFF, 0)), Tnum(0xFF << 56, 0)),
    ],
)
def test_exact_results(got: Tnum, want: Tnum) -> None:
    assert got == want


def test_predicates_and_text() -> None:
    assert tnum.is_const(tnum_const(9)) and not tnum.is_const(Tnum(0, 1))
    assert tnum.is_unknown(tnum.tnum_unknown()) and not tnum.is_unknown(Tnum(0, U64 >> 1))
    assert tnum.in_(tnum_range(0, 7), tnum_const(5))
    assert not tnum.in_(tnum_const(5), tnum_range(0, 7))
    assert not tnum.in_(Tnum(0, 7), Tnum(8, 0))
    assert tnum.is_aligned(Tnum(8, 0x10), 8) and not tnum.is_aligned(Tnum(8, 1), 8)
    assert tnum.is_aligned(Tnum(3, 0), 0)
    assert tnum.overlap(Tnum(0, 1), tnum_const(1)) and not tnum.overlap(Tnum(0, 0xF0), Tnum(1, 0))
    # the kernel's %#llx prints zero as 0x0 (print_reg_state's var_off=(0x0; 0x7))
    assert tnum.strn(Tnum(0, 7)) == "(0x0; 0x7)"
    assert tnum.sbin(Tnum(2, 1)) == "0" * 62 + "1x"
    assert tnum.members(Tnum(0, 0b101)) == 4


# --------------------------------------------------------------------------- soundness
tnums = st.builds(
    lambda v, m: Tnum(v & ~m & U64, m),
    st.one_of(st.integers(0, U64), st.sampled_from([0, 1, 0x80, U32, 1 << 63, U64])),
    st.one_of(st.integers(0, U64), st.sampled_from([0, 1, 0xF, 0xFF, U32, U64 ^ U32, U64])),
)


@st.composite
def with_member(draw: st.DrawFn) -> tuple[Tnum, int]:
    t = draw(tnums)
    return t, t.value | (draw(st.integers(0, U64)) & t.mask)


def _s(x: int, bits: int) -> int:
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


BINARY = {
    tnum.add: lambda x, y: x + y,
    tnum.sub: lambda x, y: x - y,
    tnum.mul: lambda x, y: x * y,
    tnum.and_: lambda x, y: x & y,
    tnum.or_: lambda x, y: x | y,
    tnum.xor: lambda x, y: x ^ y,
}


@settings(max_examples=150 * DEEP, deadline=None)
@given(with_member(), with_member(), st.sampled_from(list(BINARY)))
def test_binary_ops_are_sound(a: tuple, b: tuple, op: object) -> None:
    (ta, x), (tb, y) = a, b
    out = op(ta, tb)
    assert out.value & out.mask == 0
    assert tnum.contains(out, BINARY[op](x, y))


@settings(max_examples=100 * DEEP, deadline=None)
@given(with_member(), st.integers(0, 63))
def test_shifts_and_casts_are_sound(a: tuple, k: int) -> None:
    t, x = a
    assert tnum.contains(tnum.lshift(t, k), x << k)
    assert tnum.contains(tnum.rshift(t, k), x >> k)
    assert tnum.contains(tnum.arshift(t, k, 64), _s(x, 64) >> k)
    assert tnum.contains(tnum.arshift(tnum.subreg(t), k % 32, 32), (_s(x, 32) >> (k % 32)) & U32)
    assert tnum.contains(tnum.neg(t), -x)
    for size in (1, 2, 4):
        assert tnum.contains(tnum.cast(t, size), x & ((1 << (8 * size)) - 1))
    assert tnum.contains(tnum.subreg(t), x & U32)
    assert tnum.contains(tnum.clear_subreg(t), x & ~U32)
    assert tnum.contains(tnum.bswap16(t), int.from_bytes((x & 0xFFFF).to_bytes(2, "little")))
    assert tnum.contains(tnum.bswap64(t), int.from_bytes(x.to_bytes(8, "little")))


@settings(max_examples=100 * DEEP, deadline=None)
@given(with_member(), with_member())
def test_set_operations(a: tuple, b: tuple) -> None:
    (ta, x), (tb, y) = a, b
    u = tnum.union(ta, tb)
    assert tnum.contains(u, x) and tnum.contains(u, y)
    assert tnum.in_(u, ta) and tnum.in_(u, tb)
    if tnum.contains(tb, x):
        assert tnum.contains(tnum.intersect(ta, tb), x)
        assert tnum.overlap(ta, tb)
    if not tnum.overlap(ta, tb):
        assert not tnum.contains(tb, x)
    lo, hi = sorted((x, y))
    r = tnum_range(lo, hi)
    assert tnum.contains(r, lo) and tnum.contains(r, hi) and tnum.contains(r, (lo + hi) // 2)
    assert tnum.contains(tnum.with_subreg(ta, tb), (x & ~U32) | (y & U32))


def test_step_is_the_next_member_exhaustively_on_5_bits() -> None:
    for v in range(32):
        for m in range(32):
            if v & m:
                continue
            members = sorted(v | x for x in range(32) if not x & ~m)
            for z in range(34):
                above = [y for y in members if y > z]
                want = v if z < v else above[0] if above else members[-1]
                assert tnum.step(Tnum(v, m), z) == want, (v, m, z)
