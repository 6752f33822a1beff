"""The verifier log around calls, callbacks, helpers that write the stack, and objects.

The programs in ``tests/programs/logs/`` are refused, so their level-1 log keeps the walk: each
is compared line for line with the running kernel's log (asked live; map addresses masked, as
:func:`kfunclab.logs.addresses.mask_kernel_addresses` does). The lines that hold on every
build (instruction text, helper numbers of the uapi, register states without BTF ids) are
pinned offline too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kfunclab.isa.parser import parse_file
from kfunclab.logs.addresses import mask_kernel_addresses
from kfunclab.verifier import verify

PROGRAMS = Path(__file__).parent / "programs" / "logs"
LOGS = sorted(PROGRAMS.glob("*.s"))


def _ours(path: Path, level: int, **options: object) -> str:
    return verify(parse_file(str(path)), log_level=level, **options).log + "\n"


#: level-2 differences kfunclab knows of (docs/logs.md), by program
KNOWN_LEVEL2 = {
    "callback_frame": "the running kernel counts a callback call as a loop of its own (SCC)",
}
# the kernel's stack liveness (kernel/bpf/liveness.c) at level 2: "(0) frame 0 insn 3 +live -8"
STACK_LIVENESS = re.compile(r"^\(\d[\d,]*\) ")


@pytest.mark.kernel
@pytest.mark.parametrize("level", (1, 2))
@pytest.mark.parametrize("path", LOGS, ids=[p.stem for p in LOGS])
def test_log_is_the_kernels(path: Path, level: int, live_profile) -> None:
    """The whole log, line for line; at level 2 without the kernel's stack-liveness lines,
    which kfunclab does not print (docs/logs.md)."""
    from kfunclab.kernel import kernel_verdict

    if level == 2 and path.stem in KNOWN_LEVEL2:
        pytest.skip(KNOWN_LEVEL2[path.stem])
    program = parse_file(str(path))
    kernel = mask_kernel_addresses(kernel_verdict(program, log_level=level).log)
    ours = verify(program, log_level=level, btf="live", profile=live_profile).log + "\n"
    klines = [ln for ln in kernel.split("\n") if not STACK_LIVENESS.match(ln)]
    # the summary's max_states_per_insn of a callback walk differs (docs/logs.md)
    assert [ln for ln in klines if not ln.startswith("processed ")] == \
        [ln for ln in ours.split("\n") if not ln.startswith("processed ")]


def test_subprogram_call_prints_both_frames() -> None:
    """check_func_call(): ``caller:`` and ``callee:`` in full; init_func_state() scratches
    every register, so the callee's first instruction prints its whole frame;
    prepare_func_exit(): ``returning from callee:`` and ``to caller at N:``."""
    log = _ours(PROGRAMS / "subprog_call.s", 1, btf="bundled")
    assert ("2: (85) call pc+2\ncaller:\n R6=7 R10=fp0\ncallee:\n frame1: R1=5 R10=fp0\n"
            "5: frame1: R1=5 R10=fp0\n") in log
    assert ("7: (95) exit\nreturning from callee:\n frame1: R0=6 R1=5 R10=fp0\n"
            "to caller at 3:\n R0=6 R6=7 R10=fp0\n3: (79) r0 = *(u64 *)(r6 +0)") in log


def test_return_prints_from_line_at_level_2() -> None:
    log = _ours(PROGRAMS / "subprog_call.s", 2, btf="bundled")
    assert "to caller at 3:\n R0=6 R6=7 R10=fp0\n\nfrom 7 to 3: R0=6 R6=7 R10=fp0\n" in log


def test_raw_mode_helper_write_scratches_the_slot() -> None:
    log = _ours(PROGRAMS / "raw_helper_write.s", 1, btf="bundled")
    assert "4: (85) call bpf_probe_read_kernel#113        ; R0=scalar() fp-16=mmmmmmmm\n" in log


def test_callback_frames_end_with_cb() -> None:
    log = _ours(PROGRAMS / "callback_frame.s", 1, btf="bundled")
    assert "9: (bf) r6 = r2                       ; frame1: R2=fp[0]-8 R6=fp[0]-8 cb\n" in log


def test_void_helper_leaves_r0_unset_and_the_lock_is_a_ref() -> None:
    """bpf_spin_lock() is RET_VOID: R0 is NOT_INIT after it (so not printed), and the lock it
    holds is a reference state (``refs=1``, the map value's id)."""
    result = verify(parse_file(str(PROGRAMS / "spin_lock_refs.s")), log_level=1, btf="bundled")
    assert "10: (85) call bpf_spin_lock#93        ; refs=1\n" in result.log
    assert result.error.message == "BPF_EXIT instruction in main prog cannot be used inside " \
        "bpf_spin_lock-ed region"


def test_r0_after_a_void_helper_is_unreadable() -> None:
    from kfunclab.verifier import verify_text

    result = verify_text(
        '# SEC("tc")\n'
        '# MAP: m array key=u32 value="struct val { struct bpf_spin_lock lock; u64 x; }"\n'
        "\tr1 = 0\n\t*(u32 *)(r10 -4) = r1\n\tr2 = r10\n\tr2 += -4\n\tr1 = m ll\n"
        "\tcall bpf_map_lookup_elem\n\tif r0 == 0 goto out\n\tr6 = r0\n\tr1 = r0\n"
        "\tcall bpf_spin_lock\n\tr7 = r0  # R0 is NOT_INIT: RET_VOID\n\tr1 = r6\n"
        "\tcall bpf_spin_unlock\nout:\n\tr0 = 0\n\texit\n", btf="bundled")
    assert result.verdict.value == "reject"
    assert result.error.message == "R0 !read_ok"


def test_refusal_after_the_walk_is_alone_in_a_level_1_log() -> None:
    """do_check_common() resets a level-1 log once the walk succeeded; check_max_stack_depth()
    then prints its refusal."""
    assert _ours(PROGRAMS / "stack_depth_after_walk.s", 1, btf="bundled") == (
        "combined stack size of 2 calls is 1024. Too large\n"
        "processed 9 insns (limit 1000000) max_states_per_insn 0 total_states 1 "
        "peak_states 1 mark_read 0\n")


def test_mask_kernel_addresses_realigns_the_state() -> None:
    kernel = ("4: (18) r1 = 0xffff88812e63d600       ; R1=map_ptr(map=m,ks=4,vs=16)\n"
              "      4: ..2....... (18) r1 = 0xffff88812e63c400\n")
    assert mask_kernel_addresses(kernel) == (
        "4: (18) r1 = 0x0                      ; R1=map_ptr(map=m,ks=4,vs=16)\n"
        "      4: ..2....... (18) r1 = 0x0\n")


# --- objects: what libbpf and btf_prepare_func_args() put in the log -------------------------
def test_internal_map_names_are_libbpfs() -> None:
    from kfunclab.elf.maps import internal_map_name

    assert internal_map_name("dynptr_fail.bpf.o", ".bss") == "dynptr_f.bss"
    assert internal_map_name("a.bpf.o", ".rodata") == "a.rodata"
    assert internal_map_name("linked_list.bpf.o", ".data.A") == ".data.A"
    assert internal_map_name("verifier_x.bpf.o", ".kconfig") == "verifie.kconfig"


def _btf(ret_void: bool, param: str, linkage: str = "GLOBAL"):
    from kfunclab.btf.builder import BtfBuilder
    from kfunclab.btf.model import Btf
    from kfunclab.btf.types import Linkage

    b = BtfBuilder()
    i = b.add_int("int", 4, signed=True)
    skb = b.add_struct("__sk_buff", 4, [])
    targets = {"void": 0, "ctx": skb, "int": i, "fwd": b.add_fwd("opaque")}
    arg = i if param == "int" else b.add_ptr(targets[param])
    proto = b.add_func_proto(0 if ret_void else i, [("ctx", arg)])
    fid = b.add_func("prog", proto, getattr(Linkage, linkage))
    return Btf.from_bytes(b.build(), "t.btf"), fid


_NO_SIZE = "size cannot be determined: -22"


@pytest.mark.parametrize(("ret_void", "param", "linkage", "expected"), [
    (False, "ctx", "GLOBAL", ()),
    (False, "int", "GLOBAL", ()),
    (False, "void", "GLOBAL", (f"arg#0 reference type('UNKNOWN ') {_NO_SIZE}",)),
    (False, "fwd", "GLOBAL", (f"arg#0 reference type('FWD opaque') {_NO_SIZE}",)),
    (True, "ctx", "GLOBAL", ("Global function prog() doesn't return scalar. Only those are "
                             "supported.",)),
    (True, "void", "STATIC", ()),
    (False, "void", "STATIC", ()),
])
def test_main_prototype_line(ret_void: bool, param: str, linkage: str,
                             expected: tuple[str, ...]) -> None:
    """btf_prepare_func_args(env, 0) on the main function: one line, or none."""
    from kfunclab.elf.mainargs import main_args_log

    btf, fid = _btf(ret_void, param, linkage)
    assert main_args_log(btf, fid, "__sk_buff") == expected


def test_return_range_check_marks_r0_precise() -> None:
    """check_return_code(): mark_chain_precision(R0) before the range check."""
    log = _ours(PROGRAMS / "return_range_precise.s", 2, btf="bundled")
    assert ("2: (95) exit\nmark_precise: frame0: last_idx 2 first_idx 0 subseq_idx -1 \n"
            "mark_precise: frame0: regs=r0 stack= before 1: (07) r0 += 1\n"
            "mark_precise: frame0: regs=r0 stack= before 0: (b7) r0 = 1\n"
            "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]\n"
            ) in log
