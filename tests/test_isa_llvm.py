"""Our encoder against llvm-mc: every program in tests/asm/ must assemble to the same bytes.

llvm-mc emits relocations where a loader fills in a value: ``call NAME`` of a helper or kfunc
(``R_BPF_64_32``) and ``r1 = NAME ll`` of a map (``R_BPF_64_64``). At those slots we compare
everything but ``src_reg`` and ``imm`` and check the relocation names the same symbol; every
other slot must be byte-identical.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from kfunclab.isa import Call, CallKind, Imm64Kind, LoadImm64, encode_program, parse_file
from kfunclab.isa.program import Program

ASM_DIR = Path(__file__).parent / "asm"
LLVM_MC = shutil.which("llvm-mc-14") or shutil.which("llvm-mc")
# cpu v4 instructions (sdiv, movsx, ldsx, bswap, gotol, store immediate, fetch atomics) need
# LLVM 18 or later with -mcpu=v4; the project's llvm-mc 14 rejects them
LLVM_MC_V4 = next(filter(None, (shutil.which(f"llvm-mc-{v}") for v in range(22, 17, -1))), None)

pytestmark = [
    pytest.mark.llvm,
    pytest.mark.skipif(LLVM_MC is None, reason="llvm-mc-14 (or llvm-mc) is not installed"),
]


def elf_text_and_relocs(obj: bytes) -> tuple[bytes, dict[int, str]]:
    """``.text`` of an ELF64 little-endian object and its relocations as {slot: symbol}."""
    assert obj[:4] == b"\x7fELF" and obj[4] == 2 and obj[5] == 1, "not an ELF64 LE object"
    shoff = struct.unpack_from("<Q", obj, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", obj, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", obj, shoff + i * shentsize)
                for i in range(shnum)]

    def cstr(offset: int) -> str:
        return obj[offset:obj.index(b"\0", offset)].decode()

    names = [cstr(sections[shstrndx][4] + s[0]) for s in sections]
    text_index = names.index(".text")
    text = obj[sections[text_index][4]:sections[text_index][4] + sections[text_index][5]]
    relocs: dict[int, str] = {}
    for sec in sections:
        _, sh_type, _, _, offset, size, link, info, _, entsize = sec
        if sh_type != 9 or info != text_index:  # SHT_REL against .text
            continue
        symtab = sections[link]
        strtab = sections[symtab[6]]
        for k in range(size // entsize):
            r_offset, r_info = struct.unpack_from("<QQ", obj, offset + k * entsize)
            st_name = struct.unpack_from("<I", obj, symtab[4] + (r_info >> 32) * 24)[0]
            relocs[r_offset // 8] = cstr(strtab[4] + st_name)
    return text, relocs


def llvm_assemble(path: Path, tmp: Path, llvm_mc: str | None = None,
                  extra: tuple[str, ...] = ()) -> bytes:
    obj = tmp / (path.stem + ".o")
    done = subprocess.run([llvm_mc or LLVM_MC, "-triple", "bpfel", *extra, "-filetype=obj",
                           "-o", str(obj), str(path)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    return obj.read_bytes()


def compare_with_llvm(program: Program, obj: bytes) -> list[str]:
    """Differences between our bytes and llvm-mc's, one message per slot (empty: identical)."""
    ours = encode_program(program)
    text, relocs = elf_text_and_relocs(obj)
    problems = []
    if len(ours) != len(text):
        return [f"{len(ours) // 8} slots, llvm-mc has {len(text) // 8}"]
    expected_relocs = {}
    lines = program.source.text.split("\n") if program.source else []
    for slot, insn in program.instructions():
        by_number = lines and re.search(r"call\s+[-+]?\d", lines[program.source.line_of(slot) - 1])
        if isinstance(insn, Call) and insn.kind is not CallKind.SUBPROG and not by_number:
            expected_relocs[slot] = insn.name
        if isinstance(insn, LoadImm64) and insn.kind is Imm64Kind.MAP_FD:
            expected_relocs[slot] = insn.map_name
    if relocs != expected_relocs:
        problems.append(f"relocations {relocs} != expected {expected_relocs}")
    for slot in range(len(ours) // 8):
        a, b = ours[slot * 8:slot * 8 + 8], text[slot * 8:slot * 8 + 8]
        if slot in relocs:
            # relocated: compare code, dst_reg and off only (src_reg and imm are the loader's)
            a = a[:1] + bytes([a[1] & 0x0F]) + a[2:4]
            b = b[:1] + bytes([b[1] & 0x0F]) + b[2:4]
        if a != b:
            problems.append(f"slot {slot}: ours {a.hex()} llvm-mc {b.hex()}")
    return problems


CORPUS = sorted(ASM_DIR.glob("*.s"))


def test_corpus_is_not_empty() -> None:
    assert len(CORPUS) >= 8


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_encoding_matches_llvm_mc(path: Path, tmp_path: Path) -> None:
    program = parse_file(path)
    assert compare_with_llvm(program, llvm_assemble(path, tmp_path)) == []


V4_CORPUS = sorted((ASM_DIR / "v4").glob("*.s"))


@pytest.mark.skipif(LLVM_MC_V4 is None, reason="no llvm-mc of LLVM 18+ (cpu v4) is installed")
@pytest.mark.parametrize("path", V4_CORPUS, ids=[p.name for p in V4_CORPUS])
def test_cpu_v4_encoding_matches_newer_llvm_mc(path: Path, tmp_path: Path) -> None:
    program = parse_file(path)
    obj = llvm_assemble(path, tmp_path, LLVM_MC_V4, ("-mcpu=v4",))
    assert compare_with_llvm(program, obj) == []


def test_relocated_slots_are_where_names_are(tmp_path: Path) -> None:
    """The comparison itself: a named call and a map load are relocations, nothing else."""
    path = ASM_DIR / "calls.s"
    _, relocs = elf_text_and_relocs(llvm_assemble(path, tmp_path))
    assert relocs == {2: "bpf_get_prandom_u32", 3: "bpf_ktime_get_ns", 5: "bpf_task_acquire",
                      8: "bpf_task_release"}
    path = ASM_DIR / "imm64.s"
    _, relocs = elf_text_and_relocs(llvm_assemble(path, tmp_path))
    assert relocs == {12: "counts", 14: "owners"}


def test_a_wrong_byte_is_reported(tmp_path: Path) -> None:
    path = ASM_DIR / "endian.s"
    program = parse_file(path)
    obj = bytearray(llvm_assemble(path, tmp_path))
    text_at = bytes(obj).index(encode_program(program))
    obj[text_at + 8 + 4] = 32  # slot 1: be16 -> be32
    assert compare_with_llvm(program, bytes(obj)) == [
        "slot 1: ours dc00000010000000 llvm-mc dc00000020000000"]
