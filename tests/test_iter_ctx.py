"""Iterator programs (kfunclab.verifier.iter_ctx): the context of SEC("iter/<target>").

The rule programs asked of the live kernel are in ``tests/verifier/programs/iterprog/``
(test_rules.py). The key/value buffers of the map-element iterators (``PTR_TO_BUF``) are pinned
here from the 6.18 source instead: the kernel this project is checked against refuses every
program of the ``bpf_map_elem``, ``sockmap`` and ``bpf_sk_storage_map`` targets before
verification (EPERM after ``check_subprogs()``, even ``r0 = 0; exit``), a property of that build
that upstream's selftests (``bpf_iter_bpf_hash_map.c`` ...) show is not upstream's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kfunclab.btf import load_btf
from kfunclab.btf.tracing import func_params
from kfunclab.isa.parser import parse_program
from kfunclab.verifier import verify, verify_text
from kfunclab.verifier.iter_ctx import CTX_ARG_INFO, ITER_FUNC_PREFIX

BUF_PROGRAMS = Path(__file__).resolve().parent / "programs" / "iterbuf"

#: check_mem_access()'s PTR_TO_BUF branch and check_buffer_access() (kernel/bpf/verifier.c)
BUF_CASES = {
    "map_elem_value_write_ok.s": None,
    "map_elem_value_untested.s": "R2 invalid mem access 'buf_or_null'",
    "map_elem_key_write.s": "R2 cannot write into rdonly_buf",
    "map_elem_value_negative.s": "R2 invalid rdwr buffer access: off=-4, size=4",
    "map_elem_key_variable.s": "R2 invalid variable buffer offset: off=0, var_off=(0x0; 0x4)",
}


def _verify(path: Path):
    return verify(parse_program(path.read_text(), str(path)), btf="bundled",
                  profile="linux-6.18")


@pytest.mark.parametrize(("name", "error"), sorted(BUF_CASES.items()))
def test_map_elem_buffers_follow_check_buffer_access(name: str, error: str | None) -> None:
    result = _verify(BUF_PROGRAMS / name)
    got = (result.verdict.value, result.error.message if result.error else None)
    assert got == ("reject" if error else "accept", error)


def test_buffer_programs_mark_their_bug() -> None:
    for name, error in BUF_CASES.items():
        text = (BUF_PROGRAMS / name).read_text()
        assert ("# bug:" in text) == (error is not None), name


@pytest.mark.parametrize("target", sorted(CTX_ARG_INFO))
def test_ctx_arg_info_names_parameters_of_the_target_function(target: str) -> None:
    """Each entry of the table is a pointer parameter of bpf_iter_<target> (its slot is the
    offset the kernel's ctx_arg_info gives), after the leading ``meta``."""
    params = func_params(load_btf("bundled"), ITER_FUNC_PREFIX + target)
    names = [p.name for p in params]
    assert names[0] == "meta"
    for name in CTX_ARG_INFO[target]:
        assert name in names[1:], (target, name)
        assert params[names.index(name)].ctype.spelling().endswith("*")


def test_meta_is_trusted_and_never_null() -> None:
    """ctx->meta is not in any ctx_arg_info: PTR_TO_BTF_ID | PTR_TRUSTED (prog_args_trusted()),
    so meta->seq needs no NULL check and bpf_seq_printf takes it."""
    result = verify_text('''# SEC("iter/bpf_map")
        r6 = *(u64 *)(r1 + 0)
        r1 = *(u64 *)(r6 + 0)
        r2 = 0
        *(u64 *)(r10 - 8) = r2
        r2 = r10
        r2 += -8
        r3 = 8
        r4 = 0
        r5 = 0
        call bpf_seq_printf
        r0 = 0
        exit''', btf="bundled", profile="linux-6.18", log_level=2)
    assert result.verdict.value == "accept", result.error
    assert any("func 'bpf_iter_bpf_map' arg0 has btf_id" in ln and "'bpf_iter_meta'" in ln
               for ln in result.log_lines)


def test_target_without_ctx_arg_info_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A target kfunclab has no ctx_arg_info for (a module's, a newer kernel's) could have
    nullable arguments: reading its context is unsupported, never a guessed accept."""
    monkeypatch.delitem(CTX_ARG_INFO, "task")
    result = verify_text('''# SEC("iter/task")
        r2 = *(u64 *)(r1 + 8)
        r0 = 0
        exit''', btf="bundled", profile="linux-6.18")
    assert result.verdict.value == "unsupported"
    assert "iterator target 'task'" in result.error.message
