"""struct_ops programs: tcp_congestion_ops members in BPF (kfunclab.verifier.struct_ops).

``tests/programs/structops/tcp_cc.bpf.c`` holds one program per rule, each placed in a member of
a ``.struct_ops`` map (what gives a struct_ops program its attach_btf_id and member index).
Compiled with clang, each is verified by kfunclab and compared with

- the answer pinned here (Linux 6.18, read from check_struct_ops_btf_id() in verifier.c and
  net/ipv4/bpf_tcp_ca.c; recorded on 6.18.44 too), offline, with the offsets in messages taken
  from the BTF the program was built against (builds differ);
- the running kernel, asked during the test through the selftests corpus's loader (libbpf,
  load only), where root, bpf() and its libbpf build are available.

The selftests' struct_ops objects (bpf_cc_cubic, bpf_dctcp) are checked against the kernel's
recorded answers in ``test_struct_ops_family_of_the_selftests``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, OBJ_DIR, corpus_answers, kernel_answers, needs_clang

from kfunclab import cc
from kfunclab.btf import load_btf
from kfunclab.elf.structops import struct_ops_members

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "programs" / "structops" / "tcp_cc.bpf.c"


def _offset(btf: object, struct: str, field: str) -> int:
    """offsetof(struct, field) in ``btf`` (first-level members, following nested structs)."""
    def find(type_id: int, base: int) -> int | None:
        for m in btf.struct_members(type_id):  # type: ignore[attr-defined]
            off = base + m.bit_offset // 8
            if m.name == field:
                return off
            if not m.name:  # an anonymous struct/union: look inside
                found = find(btf.skip_modifiers(m.type), off)  # type: ignore[attr-defined]
                if found is not None:
                    return found
        return None

    found = find(btf.struct_id(struct), 0)  # type: ignore[attr-defined]
    assert found is not None, (struct, field)
    return found


def expected(btf: object) -> dict[str, tuple[str, str | None]]:
    """program -> (verdict, first-error line) under Linux 6.18, and the function deciding it."""
    una = _offset(btf, "tcp_sock", "snd_una")
    cwnd = _offset(btf, "tcp_sock", "snd_cwnd")
    return {
        # bpf_tcp_ca_is_valid_access(): the struct sock * argument becomes a tcp_sock
        "ssthresh_read": ("accept", None),
        # bpf_tcp_ca_btf_struct_access(): snd_cwnd is writable
        "write_cwnd": ("accept", None),
        # bpf_tcp_ca_kfunc_set, registered for BPF_PROG_TYPE_STRUCT_OPS
        "reno_kfunc": ("accept", None),
        # bpf_tcp_ca_btf_struct_access(): not a writable field
        "write_snd_una": ("reject", f"no write support to tcp_sock at off {una}"),
        # clang splits the unaligned u64 store; the upper half (snd_cwnd + 4) comes first
        "write_cwnd_wide": ("reject", f"no write support to tcp_sock at off {cwnd + 4}"),
        # bpf_tcp_ca_btf_struct_access(): a writable field, but 8 bytes run past its end
        "write_cwnd_u64": ("reject", f"write access at off {cwnd} with size 8 beyond the "
                           f"member of tcp_sock ended at {cwnd + 4}"),
        # bpf_tcp_ca_btf_struct_access(): any offset inside icsk_ca_priv
        "write_ca_priv": ("accept", None),
        # bpf_tracing_btf_ctx_access(): the arguments are read only
        "write_ctx": ("reject", "invalid bpf_context access off=8 size=8"),
        # bpf_tcp_ca_btf_struct_access(): only tcp_sock may be written
        "write_sample": ("reject", "only read is supported"),
        # check_return_code(): a void member returns nothing
        "init_void": ("accept", None),
        # bpf_tcp_ca_get_func_proto(): setsockopt, except in release()
        "init_setsockopt": ("accept", None),
        "release_setsockopt": ("reject", "program of this type cannot use helper "
                               "bpf_setsockopt#49"),
        # check_struct_ops_btf_id(): bpf_tcp_ca_check_member() refuses get_info
        "get_info_member": ("reject", "attach to unsupported member get_info of struct "
                            "tcp_congestion_ops"),
        # check_struct_ops_btf_id(): nogpl.bpf.c's licence is MIT
        "nogpl_init": ("reject", "struct ops programs must have a GPL compatible license"),
        # check_kfunc_args(): KF_ARG_PTR_TO_MEM of a struct of scalars is the struct's BTF
        # size (12 for ack_sample); check_mem_reg() of 12 bytes at fp-8 runs past fp+0
        # (check_stack_access_within_bounds(), -EINVAL)
        "acked_stack_sample": ("accept", None),
        "acked_stack_short": ("reject", "invalid read from stack R2 off=-8 size=12"),
    }


def _answers(path: Path, **options: object) -> dict[str, tuple[str, str | None]]:
    """kfunclab's answers for every object in ``path``'s folder."""
    from kfunclab.elf import verify_object

    return {r.program: (r.result.verdict.value,
                        r.result.error.message if r.result.error else None)
            for obj in sorted(path.parent.glob("*.bpf.o"))
            for r in verify_object(obj, **options)}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The rule programs built against the bundled types and against the running kernel's."""
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        for btf in ("bundled", "auto"):
            folder = tmp_path_factory.mktemp(f"structops-{btf}")
            for source in (SOURCE, SOURCE.with_name("nogpl.bpf.c")):
                obj = cc.compile_text(source.read_text(), source.name, btf=btf)
                shutil.copy(obj.path, folder / source.name.replace(".c", ".o"))
            out[btf] = folder / "tcp_cc.bpf.o"
    return out


@needs_clang
def test_programs_find_their_member(compiled: dict[str, Path]) -> None:
    """libbpf's bpf_object__collect_st_ops_relos(): the relocation names the member."""
    from kfunclab.elf.objfile import read_object

    path = compiled["bundled"]
    slots = struct_ops_members(path, read_object(path).btf)
    assert (slots["write_cwnd"].struct_name, slots["write_cwnd"].member,
            slots["write_cwnd"].var) == ("tcp_congestion_ops", "cong_avoid", "kfl_cc_a")
    assert (slots["write_ctx"].member, slots["write_ctx"].var) == ("cong_avoid", "kfl_cc_f")
    assert slots["get_info_member"].member == "get_info"
    assert len(slots) == 15


@needs_clang
def test_struct_ops_rules_match_linux_6_18(compiled: dict[str, Path]) -> None:
    assert _answers(compiled["bundled"], btf="bundled") == expected(load_btf("bundled"))


@needs_clang
def test_struct_ops_rules_match_the_running_kernel(compiled: dict[str, Path],
                                                   tmp_path: Path) -> None:
    kernel = {k.split(":", 1)[1]: (v["verdict"], v.get("error"))
              for k, v in kernel_answers(compiled["auto"].parent, tmp_path).items()}
    if any(v[0] not in ("accept", "reject") for v in kernel.values()):
        pytest.skip(f"the kernel did not judge every program: {kernel}")
    assert _answers(compiled["auto"]) == kernel


#: struct_ops objects of the selftests corpus: programs kfunclab must answer as the kernel does
#: (6.18.44: all 7 of each)
STRUCT_OPS_OBJECTS = {"bpf_cc_cubic.bpf.o": 7, "bpf_dctcp.bpf.o": 7}


def test_struct_ops_family_of_the_selftests() -> None:
    kernel = corpus_answers(STRUCT_OPS_OBJECTS)
    from kfunclab.elf import verify_object

    for name, floor in STRUCT_OPS_OBJECTS.items():
        agree = 0
        for r in verify_object(OBJ_DIR / name, log_level=0):
            want = kernel.get(f"obj/{name}:{r.program}", {})
            if want.get("verdict") not in ("accept", "reject"):
                continue
            got = r.result.verdict.value
            assert not (want["verdict"] == "reject" and got == "accept"), (name, r.program)
            message = r.result.error.message if r.result.error else None
            if got == want["verdict"] and (got == "accept" or message == want.get("error")):
                agree += 1
        assert agree >= floor, (name, agree, floor)
