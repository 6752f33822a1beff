"""Table-driven: LLVM text, the kernel's bytes and the kernel log's text of every instruction form.

Each row is one instruction: its LLVM assembly (what format_llvm prints and parse_insn reads), its
8 bytes grouped as ``code regs(src<<4|dst) off imm`` (little-endian; 16 bytes for ld_imm64), its
verifier-log text, and the value. The bytes were checked against llvm-mc (14 and, for the cpu v4
forms, 19 -mcpu=v4) and the log text against the log_level 2 listing of Linux 6.18.
"""

from __future__ import annotations

import pytest

from kfunclab.isa import (
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
    parse_insn,
)

FIXTURES = [
    # llvm text, bytes (code regs off imm), kernel log text, instruction
    ('r1 = r2', 'bf 21 0000 00000000',
     '(bf) r1 = r2',
     Alu(AluOp.MOV, 1, 2)),
    ('r0 = 1', 'b7 00 0000 01000000',
     '(b7) r0 = 1',
     Alu(AluOp.MOV, 0, None, 1)),
    ('r1 = -1', 'b7 01 0000 ffffffff',
     '(b7) r1 = -1',
     Alu(AluOp.MOV, 1, None, -1)),
    ('w1 = w2', 'bc 21 0000 00000000',
     '(bc) w1 = w2',
     Alu(AluOp.MOV, 1, 2, wide=False)),
    ('w3 = 2147483647', 'b4 03 0000 ffffff7f',
     '(b4) w3 = 2147483647',
     Alu(AluOp.MOV, 3, None, 2147483647, wide=False)),
    ('r1 += r2', '0f 21 0000 00000000',
     '(0f) r1 += r2',
     Alu(AluOp.ADD, 1, 2)),
    ('r2 += -8', '07 02 0000 f8ffffff',
     '(07) r2 += -8',
     Alu(AluOp.ADD, 2, None, -8)),
    ('w1 -= 1', '14 01 0000 01000000',
     '(14) w1 -= 1',
     Alu(AluOp.SUB, 1, None, 1, wide=False)),
    ('r1 *= r2', '2f 21 0000 00000000',
     '(2f) r1 *= r2',
     Alu(AluOp.MUL, 1, 2)),
    ('r1 /= 3', '37 01 0000 03000000',
     '(37) r1 /= 3',
     Alu(AluOp.DIV, 1, None, 3)),
    ('w1 %= w2', '9c 21 0000 00000000',
     '(9c) w1 %= w2',
     Alu(AluOp.MOD, 1, 2, wide=False)),
    ('r1 |= 16', '47 01 0000 10000000',
     '(47) r1 |= 16',
     Alu(AluOp.OR, 1, None, 16)),
    ('r1 &= r2', '5f 21 0000 00000000',
     '(5f) r1 &= r2',
     Alu(AluOp.AND, 1, 2)),
    ('w1 ^= -1', 'a4 01 0000 ffffffff',
     '(a4) w1 ^= -1',
     Alu(AluOp.XOR, 1, None, -1, wide=False)),
    ('r1 <<= 3', '67 01 0000 03000000',
     '(67) r1 <<= 3',
     Alu(AluOp.LSH, 1, None, 3)),
    ('r1 >>= r2', '7f 21 0000 00000000',
     '(7f) r1 >>= r2',
     Alu(AluOp.RSH, 1, 2)),
    ('r1 s>>= 63', 'c7 01 0000 3f000000',
     '(c7) r1 s>>= 63',
     Alu(AluOp.ARSH, 1, None, 63)),
    ('r1 = -r1', '87 01 0000 00000000',
     '(87) r1 = -r1',
     Alu(AluOp.NEG, 1, None, 0)),
    ('w1 = -w1', '84 01 0000 00000000',
     '(84) w1 = -w1',
     Alu(AluOp.NEG, 1, None, 0, wide=False)),
    ('r1 s/= r2', '3f 21 0100 00000000',
     '(3f) r1 s/= r2',
     Alu(AluOp.DIV, 1, 2, off=1)),
    ('r1 s%= 3', '97 01 0100 03000000',
     '(97) r1 s%= 3',
     Alu(AluOp.MOD, 1, None, 3, off=1)),
    ('w1 s/= -2', '34 01 0100 feffffff',
     '(34) w1 s/= -2',
     Alu(AluOp.DIV, 1, None, -2, wide=False, off=1)),
    ('r1 = (s8)r2', 'bf 21 0800 00000000',
     '(bf) r1 = (s8)r2',
     Alu(AluOp.MOV, 1, 2, off=8)),
    ('r1 = (s16)r2', 'bf 21 1000 00000000',
     '(bf) r1 = (s16)r2',
     Alu(AluOp.MOV, 1, 2, off=16)),
    ('r1 = (s32)r2', 'bf 21 2000 00000000',
     '(bf) r1 = (s32)r2',
     Alu(AluOp.MOV, 1, 2, off=32)),
    ('w1 = (s8)w2', 'bc 21 0800 00000000',
     '(bc) w1 = (s8)w2',
     Alu(AluOp.MOV, 1, 2, wide=False, off=8)),
    ('r1 = be16 r1', 'dc 01 0000 10000000',
     '(dc) r1 = be16 r1',
     Endian(EndianKind.BE, 1, 16)),
    ('r1 = be64 r1', 'dc 01 0000 40000000',
     '(dc) r1 = be64 r1',
     Endian(EndianKind.BE, 1, 64)),
    ('r1 = le32 r1', 'd4 01 0000 20000000',
     '(d4) r1 = le32 r1',
     Endian(EndianKind.LE, 1, 32)),
    ('r1 = bswap16 r1', 'd7 01 0000 10000000',
     '(d7) r1 = bswap16 r1',
     Endian(EndianKind.BSWAP, 1, 16)),
    ('r1 = bswap64 r1', 'd7 01 0000 40000000',
     '(d7) r1 = bswap64 r1',
     Endian(EndianKind.BSWAP, 1, 64)),
    ('if r1 == r2 goto +3', '1d 21 0300 00000000',
     '(1d) if r1 == r2 goto pc+3',
     Jump(JmpOp.JEQ, 1, 2, 0, 3)),
    ('if r0 == 0 goto +3', '15 00 0300 00000000',
     '(15) if r0 == 0x0 goto pc+3',
     Jump(JmpOp.JEQ, 0, None, 0, 3)),
    ('if r1 != -1 goto -1', '55 01 ffff ffffffff',
     '(55) if r1 != 0xffffffff goto pc-1',
     Jump(JmpOp.JNE, 1, None, -1, -1)),
    ('if r1 s> 5 goto +0', '65 01 0000 05000000',
     '(65) if r1 s> 0x5 goto pc+0',
     Jump(JmpOp.JSGT, 1, None, 5, 0)),
    ('if w1 s<= w2 goto +7', 'de 21 0700 00000000',
     '(de) if w1 s<= w2 goto pc+7',
     Jump(JmpOp.JSLE, 1, 2, 0, 7, wide=False)),
    ('if w1 < -1 goto +1', 'a6 01 0100 ffffffff',
     '(a6) if w1 < 0xffffffff goto pc+1',
     Jump(JmpOp.JLT, 1, None, -1, 1, wide=False)),
    ('if r1 & 1 goto +2', '45 01 0200 01000000',
     '(45) if r1 & 0x1 goto pc+2',
     Jump(JmpOp.JSET, 1, None, 1, 2)),
    ('if w1 & w2 goto +2', '4e 21 0200 00000000',
     '(4e) if w1 & w2 goto pc+2',
     Jump(JmpOp.JSET, 1, 2, 0, 2, wide=False)),
    ('goto +1', '05 00 0100 00000000',
     '(05) goto pc+1',
     Goto(1)),
    ('goto -32768', '05 00 0080 00000000',
     '(05) goto pc-32768',
     Goto(-32768)),
    ('gotol +100000', '06 00 0000 a0860100',
     '(06) gotol pc+100000',
     Goto(100000, long=True)),
    ('call bpf_map_lookup_elem', '85 00 0000 01000000',
     '(85) call bpf_map_lookup_elem#1',
     Call(CallKind.HELPER, 1, 'bpf_map_lookup_elem')),
    ('call bpf_get_prandom_u32', '85 00 0000 07000000',
     '(85) call bpf_get_prandom_u32#7',
     Call(CallKind.HELPER, 7, 'bpf_get_prandom_u32')),
    ('exit', '95 00 0000 00000000',
     '(95) exit',
     Exit()),
    ('r0 = *(u8 *)(r1 + 0)', '71 10 0000 00000000',
     '(71) r0 = *(u8 *)(r1 +0)',
     Load(Size.B, 0, 1, 0)),
    ('r0 = *(u16 *)(r1 + 2)', '69 10 0200 00000000',
     '(69) r0 = *(u16 *)(r1 +2)',
     Load(Size.H, 0, 1, 2)),
    ('r0 = *(u32 *)(r1 - 4)', '61 10 fcff 00000000',
     '(61) r0 = *(u32 *)(r1 -4)',
     Load(Size.W, 0, 1, -4)),
    ('r1 = *(u64 *)(r6 + 1280)', '79 61 0005 00000000',
     '(79) r1 = *(u64 *)(r6 +1280)',
     Load(Size.DW, 1, 6, 1280)),
    ('r1 = *(s8 *)(r2 + 1)', '91 21 0100 00000000',
     '(91) r1 = *(s8 *)(r2 +1)',
     Load(Size.B, 1, 2, 1, signed=True)),
    ('r1 = *(s16 *)(r2 - 2)', '89 21 feff 00000000',
     '(89) r1 = *(s16 *)(r2 -2)',
     Load(Size.H, 1, 2, -2, signed=True)),
    ('r1 = *(s32 *)(r2 + 32767)', '81 21 ff7f 00000000',
     '(81) r1 = *(s32 *)(r2 +32767)',
     Load(Size.W, 1, 2, 32767, signed=True)),
    ('*(u8 *)(r10 - 1) = r1', '73 1a ffff 00000000',
     '(73) *(u8 *)(r10 -1) = r1',
     Store(Size.B, 10, -1, 1)),
    ('*(u16 *)(r10 - 2) = r1', '6b 1a feff 00000000',
     '(6b) *(u16 *)(r10 -2) = r1',
     Store(Size.H, 10, -2, 1)),
    ('*(u32 *)(r10 - 4) = r1', '63 1a fcff 00000000',
     '(63) *(u32 *)(r10 -4) = r1',
     Store(Size.W, 10, -4, 1)),
    ('*(u64 *)(r10 - 8) = r0', '7b 0a f8ff 00000000',
     '(7b) *(u64 *)(r10 -8) = r0',
     Store(Size.DW, 10, -8, 0)),
    ('*(u32 *)(r10 - 4) = 7', '62 0a fcff 07000000',
     '(62) *(u32 *)(r10 -4) = 7',
     StoreImm(Size.W, 10, -4, 7)),
    ('*(u64 *)(r10 - 8) = -1', '7a 0a f8ff ffffffff',
     '(7a) *(u64 *)(r10 -8) = -1',
     StoreImm(Size.DW, 10, -8, -1)),
    ('lock *(u64 *)(r10 - 8) += r1', 'db 1a f8ff 00000000',
     '(db) lock *(u64 *)(r10 -8) += r1',
     Atomic(Size.DW, 10, -8, 1, AtomicOp.ADD)),
    ('lock *(u32 *)(r10 - 4) |= w1', 'c3 1a fcff 40000000',
     '(c3) lock *(u32 *)(r10 -4) |= r1',
     Atomic(Size.W, 10, -4, 1, AtomicOp.OR)),
    ('lock *(u64 *)(r10 - 8) &= r2', 'db 2a f8ff 50000000',
     '(db) lock *(u64 *)(r10 -8) &= r2',
     Atomic(Size.DW, 10, -8, 2, AtomicOp.AND)),
    ('lock *(u64 *)(r10 - 8) ^= r3', 'db 3a f8ff a0000000',
     '(db) lock *(u64 *)(r10 -8) ^= r3',
     Atomic(Size.DW, 10, -8, 3, AtomicOp.XOR)),
    ('r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)', 'db 1a f8ff 01000000',
     '(db) r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)',
     Atomic(Size.DW, 10, -8, 1, AtomicOp.ADD, fetch=True)),
    ('w1 = atomic_fetch_and((u32 *)(r10 - 4), w1)', 'c3 1a fcff 51000000',
     '(c3) r1 = atomic_fetch_and((u32 *)(r10 -4), r1)',
     Atomic(Size.W, 10, -4, 1, AtomicOp.AND, fetch=True)),
    ('r2 = atomic_fetch_or((u64 *)(r10 - 8), r2)', 'db 2a f8ff 41000000',
     '(db) r2 = atomic64_fetch_or((u64 *)(r10 -8), r2)',
     Atomic(Size.DW, 10, -8, 2, AtomicOp.OR, fetch=True)),
    ('r3 = atomic_fetch_xor((u64 *)(r10 - 8), r3)', 'db 3a f8ff a1000000',
     '(db) r3 = atomic64_fetch_xor((u64 *)(r10 -8), r3)',
     Atomic(Size.DW, 10, -8, 3, AtomicOp.XOR, fetch=True)),
    ('r1 = xchg_64(r10 - 8, r1)', 'db 1a f8ff e1000000',
     '(db) r1 = atomic64_xchg((u64 *)(r10 -8), r1)',
     Atomic(Size.DW, 10, -8, 1, AtomicOp.XCHG, fetch=True)),
    ('w1 = xchg32_32(r10 - 4, w1)', 'c3 1a fcff e1000000',
     '(c3) r1 = atomic_xchg((u32 *)(r10 -4), r1)',
     Atomic(Size.W, 10, -4, 1, AtomicOp.XCHG, fetch=True)),
    ('r0 = cmpxchg_64(r10 - 8, r0, r1)', 'db 1a f8ff f1000000',
     '(db) r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)',
     Atomic(Size.DW, 10, -8, 1, AtomicOp.CMPXCHG, fetch=True)),
    ('w0 = cmpxchg32_32(r10 - 4, w0, w1)', 'c3 1a fcff f1000000',
     '(c3) r0 = atomic_cmpxchg((u32 *)(r10 -4), r0, r1)',
     Atomic(Size.W, 10, -4, 1, AtomicOp.CMPXCHG, fetch=True)),
    ('r1 = 4660 ll', '18 01 0000 34120000 00 00 0000 00000000',
     '(18) r1 = 0x1234',
     LoadImm64(1, 4660)),
    ('r2 = -1 ll', '18 02 0000 ffffffff 00 00 0000 ffffffff',
     '(18) r2 = 0xffffffffffffffff',
     LoadImm64(2, -1)),
    ('r0 = *(u8 *)skb[4]', '30 00 0000 04000000',
     '(30) r0 = *(u8 *)skb[4]',
     LoadPacket(Size.B, PacketMode.ABS, None, 4)),
    ('r0 = *(u32 *)skb[r1]', '40 10 0000 00000000',
     '(40) r0 = *(u32 *)skb[r1 + 0]',
     LoadPacket(Size.W, PacketMode.IND, 1, 0)),
    ('r5 = counts ll', '18 15 0000 00000000 00 00 0000 00000000',
     '(18) r5 = 0x0', LoadImm64(dst=5, imm=0, kind=Imm64Kind.MAP_FD, map_name="counts")),
    ('call bpf_task_acquire', '85 20 0000 00000000',
     '(85) call bpf_task_acquire#0', Call(CallKind.KFUNC, 0, "bpf_task_acquire")),
    ('call bpf_task_acquire#65913', '85 20 0000 79010100',
     '(85) call bpf_task_acquire#65913', Call(CallKind.KFUNC, 65913, "bpf_task_acquire")),
    ('call pc+2', '85 10 0000 02000000', '(85) call pc+2', Call(CallKind.SUBPROG, 2)),
    ('call pc-7', '85 10 0000 f9ffffff', '(85) call pc-7', Call(CallKind.SUBPROG, -7)),
    ('call 4096', '85 00 0000 00100000', '(85) call unknown#4096', Call(CallKind.HELPER, 4096)),
    ('r0 = *(u16 *)skb[r1 + 6]', '48 10 0000 06000000',
     '(48) r0 = *(u16 *)skb[r1 + 6]', LoadPacket(Size.H, PacketMode.IND, src=1, imm=6)),
]


def _bytes(spaced: str) -> bytes:
    return bytes.fromhex(spaced.replace(" ", ""))


IDS = [row[0] for row in FIXTURES]


@pytest.mark.parametrize(("text", "spaced", "kernel", "insn"), FIXTURES, ids=IDS)
def test_text_parses_to_the_instruction(text: str, spaced: str, kernel: str, insn: object) -> None:
    assert parse_insn(text, maps=None) == insn


@pytest.mark.parametrize(("text", "spaced", "kernel", "insn"), FIXTURES, ids=IDS)
def test_instruction_encodes_to_the_bytes(text: str, spaced: str, kernel: str, insn: object
                                          ) -> None:
    assert encode(insn) == _bytes(spaced)


@pytest.mark.parametrize(("text", "spaced", "kernel", "insn"), FIXTURES, ids=IDS)
def test_bytes_decode_to_the_instruction(text: str, spaced: str, kernel: str, insn: object
                                         ) -> None:
    decoded = decode(_bytes(spaced), resolve_kfunc={65913: "bpf_task_acquire"}.get)
    expected = insn
    if isinstance(insn, LoadImm64) and insn.map_name:  # bytes do not carry the map's name
        expected = LoadImm64(insn.dst, insn.imm, insn.kind)
    if isinstance(insn, Call) and insn.kind is CallKind.KFUNC and insn.imm == 0:
        expected = Call(CallKind.KFUNC, 0)  # an unresolved kfunc's bytes do not name it
    assert decoded[0] == expected
    assert len(decoded) == len(_bytes(spaced)) // 8


@pytest.mark.parametrize(("text", "spaced", "kernel", "insn"), FIXTURES, ids=IDS)
def test_instruction_prints_as_llvm_and_kernel(text: str, spaced: str, kernel: str, insn: object
                                               ) -> None:
    assert format_llvm(insn) == text
    assert format_kernel(insn) == kernel


KERNEL_ROWS = [(row[2], row[3]) for row in FIXTURES
               if not (isinstance(row[3], LoadImm64) and row[3].kind is Imm64Kind.MAP_FD)]


@pytest.mark.parametrize(("kernel", "insn"), KERNEL_ROWS, ids=[k for k, _ in KERNEL_ROWS])
def test_kernel_log_text_parses_back(kernel: str, insn: object) -> None:
    """Except a map load: the log prints the map's address (or 0x0), not its name."""
    assert parse_insn(kernel) == insn


ALTERNATIVE_SPELLINGS = [
    # other ways to write an instruction: llvm-objdump's hex, the kernel log's spacing, ...
    ("w3 = 0x7fffffff", Alu(AluOp.MOV, 3, None, 2147483647, wide=False)),
    ("r1 |= 0x10", Alu(AluOp.OR, 1, None, 16)),
    ("r1 = 0xffffffff", Alu(AluOp.MOV, 1, None, -1)),
    ("r1 s/= -0x3", Alu(AluOp.DIV, 1, None, -3, off=1)),
    ("r1=r2", Alu(AluOp.MOV, 1, 2)),
    ("r1 = 017", Alu(AluOp.MOV, 1, None, 15)),
    ("r1 = 0b101", Alu(AluOp.MOV, 1, None, 5)),
    ("if w1 < 0xffffffff goto +1", Jump(JmpOp.JLT, 1, None, -1, 1, wide=False)),
    ("if r1 & 0x1 goto +0x2 <.text+0x18>", Jump(JmpOp.JSET, 1, None, 1, 2)),
    ("if r0 == 0x0 goto pc+3", Jump(JmpOp.JEQ, 0, None, 0, 3)),
    ("goto 5", Goto(5)),
    ("goto pc-1", Goto(-1)),
    ("gotol pc+70000", Goto(70000, long=True)),
    ("call 1", Call(CallKind.HELPER, 1, "bpf_map_lookup_elem")),
    ("call bpf_map_lookup_elem#1", Call(CallKind.HELPER, 1, "bpf_map_lookup_elem")),
    ("call unknown#4096", Call(CallKind.HELPER, 4096)),
    ("call kernel-function#77", Call(CallKind.KFUNC, 77)),
    ("call -1", Call(CallKind.HELPER, -1)),
    ("r1 = 0x1234 ll", LoadImm64(1, 0x1234)),
    ("r1 = 0x1234ll", LoadImm64(1, 0x1234)),
    ("r1 = 0xffffffffffffffff ll", LoadImm64(1, -1)),
    ("(18) r1 = 0xffff8881043f1400", LoadImm64(1, 0xffff8881043f1400 - (1 << 64))),
    ("r0 = *(u64 *)(r10 + -8)", Load(Size.DW, 0, 10, -8)),
    ("r0 = *(u64*)(r10-0x8)", Load(Size.DW, 0, 10, -8)),
    ("w0 = *(u32 *)(r1 + 0)", Load(Size.W, 0, 1, 0)),
    ("*(u32 *)(r10 - 4) = w1", Store(Size.W, 10, -4, 1)),
    ("lock *(u32 *)(r10 -4) += r1", Atomic(Size.W, 10, -4, 1, AtomicOp.ADD)),
    ("r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)",
     Atomic(Size.DW, 10, -8, 1, AtomicOp.ADD, fetch=True)),
    ("r1 = atomic_fetch_or((u32 *)(r10 -4), r1)",
     Atomic(Size.W, 10, -4, 1, AtomicOp.OR, fetch=True)),
    ("r1 = atomic64_xchg((u64 *)(r10 -8), r1)",
     Atomic(Size.DW, 10, -8, 1, AtomicOp.XCHG, fetch=True)),
    ("r0 = atomic_cmpxchg((u32 *)(r10 -4), r0, r1)",
     Atomic(Size.W, 10, -4, 1, AtomicOp.CMPXCHG, fetch=True)),
    ("r0 = *(u32 *)skb[r1 + -4]", LoadPacket(Size.W, PacketMode.IND, 1, -4)),
    ("3: (bf) r1 = r0", Alu(AluOp.MOV, 1, 0)),
    ("12: (79) r1 = *(u64 *)(r6 +1280)       ; R1_w=ptr_task_struct()",
     Load(Size.DW, 1, 6, 1280)),
    ("  2   3: 012....... (1d) if r1 == r2 goto pc+45", Jump(JmpOp.JEQ, 1, 2, 0, 45)),
    ("      0:\t85 00 00 00 07 00 00 00\tcall 7", Call(CallKind.HELPER, 7, "bpf_get_prandom_u32")),
]


@pytest.mark.parametrize(("text", "insn"), ALTERNATIVE_SPELLINGS,
                         ids=[t for t, _ in ALTERNATIVE_SPELLINGS])
def test_alternative_spellings(text: str, insn: object) -> None:
    assert parse_insn(text, maps=None) == insn


def test_every_instruction_kind_has_a_fixture() -> None:
    kinds = {type(row[3]) for row in FIXTURES}
    assert kinds == {Alu, Endian, Jump, Goto, Call, Exit, Load, Store, StoreImm, Atomic,
                     LoadImm64, LoadPacket}
    assert {row[3].op for row in FIXTURES if isinstance(row[3], Alu)} == set(AluOp)
    assert {row[3].op for row in FIXTURES if isinstance(row[3], Jump)} >= {JmpOp.JEQ, JmpOp.JSET}
    assert {row[3].kind for row in FIXTURES if isinstance(row[3], Endian)} == set(EndianKind)
    assert {row[3].op for row in FIXTURES if isinstance(row[3], Atomic)} == set(AtomicOp)
