"""The last verifier-side ``unsupported`` answers of the selftests corpus, now answered.

- xskmap lookups (``verifier_sock:xskmap_key_xs_queue_id``,
  ``verifier_jeq_infer_not_null:null_ptr_to_map_value``): R0 is ``xdp_sock_or_null``, an
  ``xdp_sock`` once NULL-checked, also through ``if r6 != r7`` of two lookups. Rule programs:
  ``tests/verifier/programs/xskmap/``.
- ``bpf_tail_call`` from a subprogram (``verifier_tailcall_jit:main``): rule programs in
  ``tests/verifier/programs/tailcall/``.
- a CO-RE field offset through a typedef of an anonymous struct (``siphash_key_t`` in
  ``test_tcp_custom_syncookie``): libbpf looks the candidates up by the typedef's name.
- a struct_ops program whose struct the kernel does not have (``unsupported_ops``, and
  ``tests/programs/misc2/missing_struct_ops.bpf.c`` of our own, asked live through the
  corpus's loader): ``check_struct_ops_btf_id()`` returns -ENOTSUPP without a message.

The corpus answers are those recorded on this kernel (``$KFL_SELFTESTS_OBJ/expected.json``);
nothing here pins a build's ids or text. Skips where the objects, clang or the loader are
missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, OBJ_DIR, corpus_answers, kernel_answers, needs_clang

from kfunclab import cc

HERE = Path(__file__).resolve().parent
MISSING_OPS = HERE / "programs" / "misc2" / "missing_struct_ops.bpf.c"

PROGRAMS = [
    ("verifier_sock", "xskmap_key_xs_queue_id"),
    ("verifier_jeq_infer_not_null", "null_ptr_to_map_value"),
    ("verifier_tailcall_jit", "main"),
    ("test_tcp_custom_syncookie", "tcp_custom_syncookie"),
    ("unsupported_ops", "unsupported_ops"),
]


def _kfunclab(path: Path) -> dict[str, tuple[str, str | None]]:
    from kfunclab.elf import verify_object

    return {r.program: (r.result.verdict.value,
                        r.result.error.message if r.result.error else None)
            for r in verify_object(path, log_level=0)}


@pytest.mark.parametrize(("obj", "prog"), PROGRAMS, ids=[f"{o}:{p}" for o, p in PROGRAMS])
def test_answered_as_the_kernel_did(obj: str, prog: str) -> None:
    kernel = corpus_answers([f"{obj}.bpf.o"]).get(f"obj/{obj}.bpf.o:{prog}")
    if kernel is None or kernel["verdict"] not in ("accept", "reject"):
        pytest.skip(f"no kernel verdict recorded for {obj}:{prog} in {OBJ_DIR}")
    verdict, error = _kfunclab(OBJ_DIR / f"{obj}.bpf.o")[prog]
    assert verdict == kernel["verdict"]
    if verdict == "reject":
        assert error == kernel["error"]


def test_core_offset_through_a_typedef_of_an_anonymous_struct() -> None:
    """siphash_key_t is ``typedef struct { u64 key[2]; }``: key[1] is at byte 8."""
    from kfunclab.btf import load_btf
    from kfunclab.elf.core import resolve
    from kfunclab.elf.objfile import read_object

    path = OBJ_DIR / "test_tcp_custom_syncookie.bpf.o"
    if not path.is_file():
        pytest.skip(f"no selftests object {path.name} in {OBJ_DIR}")
    obj = read_object(path)
    kernel = load_btf("bundled")
    kernel_btf = getattr(kernel, "btf", kernel)
    local = obj.btf
    found = {}
    for relos in obj.btf_ext.core_relos.values():
        for relo in relos:
            if local.name(relo.type_id) == "siphash_key_t" and relo.kind == 0:
                found[relo.access] = resolve(relo, local, kernel_btf).value
    assert found == {"0:0:0": 0, "0:0:1": 8}


@pytest.fixture(scope="module")
def missing_ops(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    folder = tmp_path_factory.mktemp("missing-ops")
    obj = cc.compile_text(MISSING_OPS.read_text(), MISSING_OPS.name, btf="bundled")
    shutil.copy(obj.path, folder / "missing_struct_ops.bpf.o")
    return folder / "missing_struct_ops.bpf.o"


@needs_clang
def test_struct_ops_of_a_missing_struct_pinned(missing_ops: Path) -> None:
    # Linux 6.18 check_struct_ops_btf_id(): no attach_btf_id -> -ENOTSUPP, no message; the
    # last line of the level-2 log before the summary is check_subprogs()'s
    assert _kfunclab(missing_ops) == {"missing_run": ("reject", "func#0 @0")}


@needs_clang
def test_struct_ops_of_a_missing_struct_live(missing_ops: Path, tmp_path: Path) -> None:
    kernel = {k.split(":", 1)[1]: (v["verdict"], v.get("error"))
              for k, v in kernel_answers(missing_ops.parent, tmp_path).items()}
    if any(v[0] not in ("accept", "reject") for v in kernel.values()):
        pytest.skip(f"the kernel did not judge every program: {kernel}")
    assert _kfunclab(missing_ops) == kernel


def test_netfilter_program_of_the_selftests_verifies() -> None:
    """ip_check_defrag: ctx->skb (nf_is_valid_access(): a trusted sk_buff) into
    bpf_dynptr_from_skb and bpf_dynptr_slice. libbpf 1.5 does not know the "netfilter" section,
    so the corpus has no kernel answer; tests/verifier/programs/netfilter/ asks the kernel about
    each rule on programs of our own."""
    path = OBJ_DIR / "ip_check_defrag.bpf.o"
    if not path.is_file():
        pytest.skip(f"no selftests object {path.name} in {OBJ_DIR}")
    assert _kfunclab(path) == {"defrag": ("accept", None)}
