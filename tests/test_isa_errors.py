"""Malformed input: every error says FILE:LINE:COL and what was expected, never a traceback."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kfunclab.errors import KfunclabError, ParseError
from kfunclab.isa import DecodeError, decode, parse_insn, parse_program

SEC = '# SEC("xdp")\n'

# (program text, line, col, message) -- the column points at the offending token
PARSE_ERRORS = [
    (SEC + "  r11 = 1\n", 2, 3, "expected a register r0-r10, found 'r11'"),
    (SEC + "  r1 = *(u64 *)(w12 + 0)\n", 2, 17, "expected a register w0-w10, found 'w12'"),
    (SEC + "  mov r1, r2\n", 2, 3, "expected an instruction, found 'mov'"),
    (SEC + "  r1 = r2\n  exti\n", 3, 3, "expected an instruction, found 'exti'"),
    (SEC + "  exit 0\n", 2, 8, "expected end of line, found '0'"),
    (SEC + "  if r1 == 0 goto nowhere\n  exit\n", 2, 19, "unknown label 'nowhere'"),
    (SEC + "out:\n  exit\n  out:  exit\n", 4, 3,
     "duplicate label 'out' (first defined at line 2)"),
    (SEC + "exit:\n", 2, 1, "expected a label name, found reserved word 'exit'"),
    (SEC + "  r0 = *(u64 *)(r1 + 40000)\n", 2, 22, "offset 40000 out of 16-bit range"),
    (SEC + "  goto -32769\n", 2, 9, "offset -32769 out of 16-bit range"),
    (SEC + "  r1 += 0x100000000\n", 2, 9, "immediate 4294967296 out of 32-bit range"),
    (SEC + "  r1 = 0x10000000000000000 ll\n", 2, 8,
     "immediate 18446744073709551616 out of 64-bit range"),
    (SEC + "  r1 = 09\n", 2, 8, "expected a number, found '09'"),
    ("  r0 = 0\n  exit\n", 1, 1, 'expected a # SEC("...") line before the first instruction'),
    ('# LICENSE("GPL")\n', 1, 1, 'expected a # SEC("...") line before the first instruction'),
    (SEC + "  r1 = cnt ll\n", 2, 8, "map 'cnt' is not declared by a '# MAP:' line"),
    (SEC + "  r1 = w2\n", 2, 8, "expected a register r0-r10, found 'w2' (r and w registers "
                               "do not mix in one instruction)"),
    (SEC + "  r1 = -r2\n", 2, 9, "expected r1 (neg works in place), found r2"),
    (SEC + "  if r1 =! r2 goto +1\n", 2, 9,
     "expected a comparison (==, !=, >, s<, ...), found '='"),
    (SEC + "  if r1 == r2 goto\n", 2, 19,
     "expected a jump target (+N, -N, pc+N or a label), found end of line"),
    (SEC + "  r0 = *(u64 *)(r1 + 8\n", 2, 23, "expected ')', found end of line"),
    (SEC + "  *(s32 *)(r10 - 8) = r1\n", 2, 5, "expected u8, u16, u32 or u64, found 's32'"),
    (SEC + "  lock *(u8 *)(r10 - 8) += r1\n", 2, 10, "expected u32 or u64, found 'u8'"),
    (SEC + "  lock *(u64 *)(r10 - 8) += w1\n", 2, 10,
     "expected u8, u16 or u32 with a w register, found 'u64'"),
    (SEC + "  lock *(u64 *)(r10 - 8) -= r1\n", 2, 26,
     "expected +=, |=, &= or ^= after lock *(...), found '-='"),
    (SEC + "  r1 = (s64)r2\n", 2, 9,
     "expected a size (u8, u16, u32, u64, s8, s16, s32), found 's64'"),
    (SEC + "  w1 = (s32)w2\n", 2, 9, "expected (s8) or (s16), found (s32)"),
    (SEC + "  call bpf_map_lookup_elem#5\n", 2, 8,
     "expected bpf_map_lookup_elem#1 (helper bpf_map_lookup_elem is id 1), "
     "found 'bpf_map_lookup_elem#5'"),
    (SEC + "  3: (bf) r1 = 5\n", 2, 7, "expected opcode (b7) for this instruction, found (bf)"),
    (SEC + "  r1 = *(u8 *)skb[4]\n", 2, 3,
     "expected r0 (packet loads always load into r0), found r1"),
    (SEC + "  .section .text\n", 2, 3,
     "expected an instruction, found assembler directive '.section'"),
    (SEC + "  r0 = 0\n  exit\n# MAP: m array key=u32 value=u64\n", 4, 3,
     "header directives must come before the first instruction (line 2)"),
    (SEC + "  exit /* never closed\n  exit\n", 2, 8, "expected */ to close this /* comment"),
    ('# SEC(xdp)\n  exit\n', 1, 6, "expected SEC(\"...\"), found '(xdp)'"),
    ('# SEC("xdp")\n# SEC("tc")\n  exit\n', 2, 3,
     'conflicting SEC("tc"): line 1 says "xdp"'),
    (SEC + "# CAPS: -cap_perfmon, cap_bpf\n  exit\n", 2, 23,
     "expected '-cap_name' (a capability to drop), found 'cap_bpf'"),
    (SEC + "# CAPS: -cap_perfmonn\n  exit\n", 2, 10,
     "expected a capability name, found 'cap_perfmonn'"),
    (SEC + "# TYPE: struct foo { long a; float b; }\n  exit\n", 2, 30,
     "expected a member type (an integer type, 'struct X *', 'struct X __kptr *' or "
     "'struct bpf_spin_lock'), found 'float'"),
    (SEC + "# TYPE: struct foo { long a[2]; }\n  exit\n", 2, 28,
     "expected ';' after the member (arrays, bitfields and initialisers are not supported), "
     "found '['"),
    (SEC + "# TYPE: struct foo long a; }\n  exit\n", 2, 20, "expected '{', found 'long'"),
    (SEC + "# TYPE: struct foo { long a; long a; }\n  exit\n", 2, 35,
     "duplicate member 'a' in struct foo"),
    (SEC + "# TYPE: struct foo { long a; }\n# TYPE: struct foo { int b; }\n  exit\n", 3, 16,
     "struct foo defined twice (first at line 2)"),
    (SEC + "# MAP: m arrray key=u32 value=u64\n  exit\n", 2, 10,
     "expected a map type (bpf_map_type in lower case without BPF_MAP_TYPE_, e.g. array), "
     "found 'arrray'"),
    (SEC + "# MAP: m array key=u32\n  exit\n", 2, 23, "expected value= in MAP m"),
    (SEC + "# MAP: m array key=u32 value=u64 size=4\n  exit\n", 2, 34,
     "expected key=, value=, max_entries= or flags=, found 'size=4'"),
    (SEC + "# MAP: m array key=u32 value=u64 max_entries=lots\n  exit\n", 2, 46,
     "expected an unsigned 32-bit number, found 'lots'"),
    (SEC + '# MAP: m array key=u32 value="struct s { struct task_struct __kptr t; }"\n  exit\n',
     2, 68, "expected '*' (struct task_struct members must be pointers; only struct "
            "bpf_spin_lock and struct bpf_timer are embedded), found 't'"),
    (SEC + '# MAP: m array key=u32 value="struct nope"\n  exit\n', 2, 38,
     "struct nope is not declared by a TYPE: line"),
    (SEC + '# MAP: m array key=u32 value="struct s { long a; }\n  exit\n', 2, 30,
     'expected a closing " (quote opened here)'),
    (SEC + "# MAP: m array key=u32 value=u64\n# MAP: m hash key=u32 value=u64\n  exit\n",
     3, 8, "map 'm' declared twice (first at line 2)"),
]


@pytest.mark.parametrize(("text", "line", "col", "message"), PARSE_ERRORS,
                         ids=[m[:40] for *_, m in PARSE_ERRORS])
def test_parse_error_says_where_and_what(text: str, line: int, col: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_program(text, "bad.s")
    assert (info.value.file, info.value.line, info.value.col) == ("bad.s", line, col)
    assert info.value.message == message
    assert str(info.value) == f"bad.s:{line}:{col}: error: {message}"


DECODE_ERRORS = [
    ("b7 01 0000 01000000 ff", "slot 1: 9 bytes is not a whole number of 8-byte instructions"),
    ("95 00 0000 00000000 b7 21 0000 01000000",
     "slot 1: (b7) dst_reg=1 src_reg=2 off=0 imm=1 is not a valid instruction"),
    ("18 01 0000 00000000", "slot 0: (18) ld_imm64 is missing its second slot"),
    ("18 01 0000 00000000 95 00 0000 00000000",
     "slot 1: second slot of ld_imm64 must have code, registers and off 0"),
    ("18 71 0000 00000000 00 00 0000 00000000", "slot 0: (18) ld_imm64 with src_reg=7 is not "
                                                "supported"),
    ("db 1a f8ff 00010000", "slot 0: (db) dst_reg=10 src_reg=1 off=-8 imm=256 is not a valid "
                            "instruction"),
    # may_goto decodes (tests/joins/test_may_goto.py); other BPF_JCOND fields do not
    ("e5 00 0100 05000000", "slot 0: (e5) dst_reg=0 src_reg=0 off=1 imm=5 is not a valid "
                            "instruction"),
    ("85 30 0000 00000000", "slot 0: (85) dst_reg=0 src_reg=3 off=0 imm=0 is not a valid "
                            "instruction"),
]


@pytest.mark.parametrize(("spaced", "message"), DECODE_ERRORS, ids=[m for _, m in DECODE_ERRORS])
def test_decode_error_names_the_slot(spaced: str, message: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode(bytes.fromhex(spaced.replace(" ", "")))
    assert str(info.value) == message


def test_register_past_r10_decodes_and_the_verifier_refuses_it() -> None:
    """A 4-bit register field can name r11-r15: decoding keeps it (as the kernel does) and
    check_reg_arg()'s test refuses it, the source before the destination."""
    from kfunclab.isa.insn import Alu
    from kfunclab.verifier.env import Reject
    from kfunclab.verifier.regnums import check_reg_numbers

    (mov,) = decode(bytes.fromhex("bffb000000000000"))  # r11 = r15
    assert isinstance(mov, Alu) and (mov.dst, mov.src) == (11, 15)
    with pytest.raises(Reject) as info:
        check_reg_numbers(mov)
    assert info.value.message == "R15 is invalid"
    (imm,) = decode(bytes.fromhex("b70b000001000000"))  # r11 = 1: only the destination
    with pytest.raises(Reject) as info:
        check_reg_numbers(imm)
    assert info.value.message == "R11 is invalid"


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=8, max_size=8))
def test_any_eight_bytes_decode_or_fail_cleanly(data: bytes) -> None:
    """Bytes either decode to instructions that encode back to themselves, or say why not."""
    from kfunclab.isa import encode_program

    try:
        insns = decode(data + bytes(8))  # a zero second slot, in case it is an ld_imm64
    except DecodeError:
        return
    assert encode_program(insns) == data + bytes(8)


TEXT_ALPHABET = st.sampled_from(
    ["r1", "w2", "r10", "r11", "=", "+=", "s>>=", "-", "+", "*", "(", ")", "[", "]", ",", ":",
     "u64", "s8", "0x10", "-5", "99999999999", "goto", "gotol", "if", "==", "s<", "&", "call",
     "exit", "ll", "lock", "skb", "pc", "be16", "bswap64", "atomic_fetch_add", "xchg_64",
     "cmpxchg32_32", "label", "bpf_task_acquire#7", "#", "//", "/*", "*/", ";", "\n", " ",
     "\t", "é", "(bf)", "3:", '# SEC("x")', "# MAP:", "# TYPE: struct", "{", "}"])


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT_ALPHABET, max_size=25))
def test_random_text_never_raises_anything_but_kfunclab_errors(words: list[str]) -> None:
    text = " ".join(words)
    for candidate in (SEC + text, text):
        with contextlib.suppress(KfunclabError):
            parse_program(candidate, "fuzz.s")
    with contextlib.suppress(KfunclabError):
        parse_insn(text)


def test_register_past_r10_is_refused_through_verify() -> None:
    """The explorer's fast path for ALU instructions must not skip check_reg_arg()'s test: a
    verified program naming r15 is rejected with the kernel's message (not an IndexError)."""
    from kfunclab.isa.program import Program
    from kfunclab.verifier.api import verify

    insns = decode(bytes.fromhex("bf0f000000000000" "b700000000000000" "9500000000000000"))
    result = verify(Program(insns=tuple(insns), section="socket"), btf=None)
    assert (result.verdict.value, result.error.message) == ("reject", "R15 is invalid")
