"""``__percpu_kptr`` map value fields (kfunclab/verifier/percpu_kptrs.py) and the kptr rules of
``check_map_access()`` (kfunclab/verifier/map_fields.py).

The rules themselves are asked of the running kernel in tests/verifier/programs/percpu/ (tc and
syscall programs, pinned in tests/verifier/expected.json). Here: what the program format and
the ELF reader make of the tag, what kfunclab leaves unmodelled (never a guessed accept), and
the selftests' percpu_alloc_* objects, which this kernel refuses to load (fentry) and which are
judged by their annotations and prog_tests (scripts/refused_score.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.isa.printer import format_struct
from kfunclab.isa.program import MemberKind
from kfunclab.verifier.api import verify_text

ROOT = Path(__file__).resolve().parents[1]
MAP = '# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"\n'
LOOKUP = """    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r7 = r0
"""


def _program(body: str, sec: str = "tc", types: str = "struct pv { long b; long c; }") -> str:
    return (f'# SEC("{sec}")\n# TYPE: {types}\n{MAP}{LOOKUP}{body}'
            "out:\n    r0 = 0\n    exit\n")


def test_program_format_reads_and_prints_the_tag():
    program = parse_program(_program(""))
    value = program.maps[0].value.struct
    pc = next(m for m in value.members if m.name == "pc")
    assert (pc.kind, pc.offset, pc.size, pc.type_name) == (MemberKind.PERCPU_KPTR, 8, 8, "pv")
    assert format_struct(value) == "struct mv { long sum; struct pv __percpu_kptr *pc; }"


def test_load_outside_rcu_is_unsupported_not_guessed():
    """btf_ld_kptr_type(): outside an RCU critical section the load is an untrusted pointer to
    a program type, which kfunclab does not model."""
    result = verify_text(_program("    r1 = *(u64 *)(r7 + 8)\n", sec="syscall"), btf="bundled",
                         profile="linux-6.18")
    assert result.verdict.value == "unsupported"
    assert "RCU critical section" in result.error.message


def test_the_doc_kernel_knows_no_percpu_kptr():
    """btf_find_kptr() of 6.2 refuses the tag: no map, which kfunclab does not model."""
    result = verify_text(_program("    r1 = *(u64 *)(r7 + 8)\n"), btf="bundled", profile="doc")
    assert result.verdict.value == "unsupported"
    assert "not a kptr tag in doc" in result.error.message


def test_obj_new_of_a_struct_holding_a_percpu_kptr_is_unsupported():
    body = "    r1 = 2\n    r2 = 0\n    call bpf_obj_new_impl\n"
    types = "struct pv { long b; }\n# TYPE: struct holder { struct pv __percpu_kptr *p; }"
    result = verify_text(_program(body, types=types), btf="bundled", profile="linux-6.18")
    assert result.verdict.value == "unsupported"
    assert "__percpu_kptr field in an allocated object" in result.error.message


def test_percpu_obj_new_of_a_struct_holding_a_percpu_kptr_is_not_scalar():
    """__btf_type_is_scalar_struct(): a pointer member is no scalar."""
    body = "    r1 = 2\n    r2 = 0\n    call bpf_percpu_obj_new_impl\n"
    types = "struct pv { long b; }\n# TYPE: struct holder { struct pv __percpu_kptr *p; }"
    result = verify_text(_program(body, types=types), btf="bundled", profile="linux-6.18")
    assert result.verdict.value == "reject"
    assert result.error.message == ("bpf_percpu_obj_new type ID argument must be of a struct "
                                    "of scalars")


def test_xchg_out_then_this_cpu_ptr_needs_the_rcu_copy():
    """What bpf_kptr_xchg takes out is MEM_ALLOC | MEM_PERCPU: bpf_this_cpu_ptr refuses it
    (check_reg_type() folds MEM_ALLOC only for bpf_kptr_xchg's R2)."""
    body = """    r1 = r7
    r1 += 8
    r2 = 0
    call bpf_kptr_xchg
    if r0 == 0 goto out
    r6 = r0
    r1 = r0
    call bpf_this_cpu_ptr  # bug
    r1 = r6
    r2 = 0
    call bpf_percpu_obj_drop_impl
"""
    result = verify_text(_program(body), btf="bundled", profile="linux-6.18")
    assert result.verdict.value == "reject"
    assert result.error.message == ("R1 type=percpu_ptr_ expected=percpu_ptr_, percpu_rcu_ptr_, "
                                    "percpu_trusted_ptr_")


# --- the selftests' objects ----------------------------------------------------------------

PERCPU_OBJECTS = ("percpu_alloc_array", "percpu_alloc_cgrp_local_storage", "percpu_alloc_fail")


def _rows() -> list:
    sys.path.insert(0, str(ROOT / "scripts"))
    import refused_score

    obj = Path(os.environ.get("KFL_SELFTESTS_OBJ", "/work/selftests-obj"))
    expected_file = obj / "expected.json"
    if not expected_file.is_file() or not refused_score.SRC.is_dir():
        pytest.skip(f"no selftests objects with the kernel's answers in {obj}")
    expected = json.loads(expected_file.read_text())
    keep = {k: v for k, v in expected.items()
            if k.split(":")[0].removeprefix("obj/").removesuffix(".bpf.o") in PERCPU_OBJECTS}
    if not keep or not refused_score.refused_programs(keep):
        pytest.skip("the percpu_alloc objects are missing or were verified by this kernel")
    return refused_score.score(obj, keep)


def test_selftests_percpu_alloc_objects_are_judged_as_their_tests_expect():
    rows = _rows()
    assert len(rows) == 16
    for row in rows:
        assert row.verdict == row.expect, row
        if row.expect == "reject":
            assert row.msg_in_error, row


def test_kptr_xchg_out_of_an_object_holding_a_percpu_kptr_is_unsupported():
    """An object of a program type with a __percpu_kptr field can also come out of a plain
    __kptr: kfunclab refuses to produce it rather than guess its record."""
    text = """# SEC("tc")
# TYPE: struct pv { long b; }
# TYPE: struct holder { struct pv __percpu_kptr *p; }
# MAP: m array key=u32 value="struct mv { struct holder __kptr *h; }"
""" + LOOKUP + """    r1 = r7
    r2 = 0
    call bpf_kptr_xchg
out:
    r0 = 0
    exit
"""
    result = verify_text(text, btf="bundled", profile="linux-6.18")
    assert result.verdict.value == "unsupported"
    assert "bpf_kptr_xchg of struct holder" in result.error.message
