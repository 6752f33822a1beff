"""Properties of random valid instructions: text -> value -> bytes -> value -> text is identity."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from kfunclab.isa import (
    HELPER_IDS,
    Alu,
    AluOp,
    Atomic,
    AtomicOp,
    Call,
    CallKind,
    Endian,
    EndianKind,
    Exit,
    Goto,
    Imm64Kind,
    Insn,
    JmpOp,
    Jump,
    Load,
    LoadImm64,
    LoadPacket,
    PacketMode,
    Size,
    Store,
    StoreImm,
    decode,
    encode,
    format_kernel,
    format_llvm,
    helper_name,
    parse_insn,
)

reg = st.integers(0, 10)
s16 = st.integers(-(1 << 15), (1 << 15) - 1)
s32 = st.integers(-(1 << 31), (1 << 31) - 1)
s64 = st.integers(-(1 << 63), (1 << 63) - 1)
kfunc_names = st.from_regex(r"bpf_[a-z][a-z_0-9]{0,20}", fullmatch=True).filter(
    lambda n: n not in HELPER_IDS)


@st.composite
def alus(draw: st.DrawFn) -> Alu:
    wide = draw(st.booleans())
    op = draw(st.sampled_from(list(AluOp)))
    dst = draw(reg)
    if op is AluOp.NEG:
        return Alu(op, dst, None, 0, wide)
    src = draw(st.none() | reg)
    off = 0
    if op in (AluOp.DIV, AluOp.MOD):
        off = draw(st.sampled_from([0, 1]))
    elif op is AluOp.MOV and src is not None:
        off = draw(st.sampled_from([0, 8, 16, 32] if wide else [0, 8, 16]))
    return Alu(op, dst, src, draw(s32) if src is None else 0, wide, off)


@st.composite
def jumps(draw: st.DrawFn) -> Jump:
    src = draw(st.none() | reg)
    return Jump(draw(st.sampled_from(list(JmpOp))), draw(reg), src,
                draw(s32) if src is None else 0, draw(s16), draw(st.booleans()))


@st.composite
def calls(draw: st.DrawFn) -> Call:
    kind = draw(st.sampled_from(list(CallKind)))
    if kind is CallKind.HELPER:
        imm = draw(st.sampled_from(sorted(HELPER_IDS.values())) | s32)
        return Call(kind, imm, helper_name(imm))
    if kind is CallKind.SUBPROG:
        return Call(kind, draw(s32))
    return Call(kind, draw(s32), draw(st.none() | kfunc_names))


@st.composite
def atomics(draw: st.DrawFn) -> Atomic:
    op = draw(st.sampled_from(list(AtomicOp)))
    fetch = True if op in (AtomicOp.XCHG, AtomicOp.CMPXCHG) else draw(st.booleans())
    return Atomic(draw(st.sampled_from([Size.W, Size.DW])), draw(reg), draw(s16), draw(reg), op,
                  fetch)


@st.composite
def loads(draw: st.DrawFn) -> Load:
    size = draw(st.sampled_from(list(Size)))
    signed = size is not Size.DW and draw(st.booleans())
    return Load(size, draw(reg), draw(reg), draw(s16), signed)


@st.composite
def packets(draw: st.DrawFn) -> LoadPacket:
    size = draw(st.sampled_from([Size.B, Size.H, Size.W]))
    if draw(st.booleans()):
        return LoadPacket(size, PacketMode.ABS, None, draw(s32))
    return LoadPacket(size, PacketMode.IND, draw(reg), draw(s32))


# Instructions whose kernel log text says everything about them (a map load's text does not).
kernel_insns = st.one_of(
    alus(), jumps(), calls(), atomics(), loads(), packets(), st.just(Exit()),
    st.builds(Endian, st.sampled_from(list(EndianKind)), reg, st.sampled_from([16, 32, 64])),
    st.builds(Goto, s16), st.builds(Goto, s32, st.just(True)),
    st.builds(Store, st.sampled_from(list(Size)), reg, s16, reg),
    st.builds(StoreImm, st.sampled_from(list(Size)), reg, s16, s32),
    st.builds(LoadImm64, reg, s64),
)
llvm_insns = kernel_insns | st.builds(LoadImm64, reg, st.just(0), st.just(Imm64Kind.MAP_FD),
                                      st.from_regex(r"m[a-z_0-9]{0,10}", fullmatch=True))


def _resolver(insn: Insn) -> Callable[[int], str | None]:
    """The kfunc name lookup a BTF-aware caller would hand the decoder."""
    return lambda imm: insn.name if isinstance(insn, Call) else None


@settings(max_examples=300, deadline=None)
@given(kernel_insns)
def test_kernel_text_parse_encode_decode_is_identity(insn: Insn) -> None:
    text = format_kernel(insn, 0)
    parsed = parse_insn(text)
    assert parsed == insn, text
    decoded = decode(encode(parsed), resolve_kfunc=_resolver(insn))[0]
    assert decoded == insn
    assert format_kernel(decoded, 0) == text


@settings(max_examples=300, deadline=None)
@given(llvm_insns)
def test_llvm_text_parses_back(insn: Insn) -> None:
    text = format_llvm(insn)
    assert parse_insn(text, maps=None) == insn, text


@settings(max_examples=200, deadline=None)
@given(llvm_insns)
def test_bytes_round_trip(insn: Insn) -> None:
    data = encode(insn)
    assert len(data) == (16 if isinstance(insn, LoadImm64) else 8)
    decoded = decode(data, resolve_kfunc=_resolver(insn))[0]
    if isinstance(insn, LoadImm64):  # the name of a map is not in its bytes
        assert decoded == LoadImm64(insn.dst, insn.imm, insn.kind)
    else:
        assert decoded == insn
    assert encode(decoded) == data
