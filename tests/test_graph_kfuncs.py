"""Graph kfuncs: bpf_obj_new objects in lists under a bpf_spin_lock (kfunclab.verifier.rules.graph).

``tests/programs/graph/lists.bpf.c`` holds one program per rule. Compiled with clang against
the bundled kernel types, each is verified by kfunclab and compared with

- the answer pinned here (Linux 6.18, read from kernel/bpf/verifier.c: the function named next
  to each row decides it; recorded on 6.18.44 too), offline;
- the running kernel, asked during the test through the selftests corpus's loader
  (``../shared/selftests/load.py``: libbpf, load only) where root, bpf() and its libbpf build
  are available. kfunclab.kernel cannot load these programs itself: it writes the program's
  BTF from ``# TYPE:`` lines, which have no list heads or ``__contains`` tags.

The selftests' graph objects (linked_list_fail, rbtree_fail ...) are checked to the message in
``test_graph_family_of_the_selftests``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, OBJ_DIR, corpus_answers, kernel_answers, needs_clang

from kfunclab import cc

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "programs" / "graph" / "lists.bpf.c"


#: program -> (verdict, first-error line) under Linux 6.18, and the kernel function deciding it
EXPECTED = {
    # the whole round trip: push under the lock, a non-owning write, pop, drop
    "push_pop": ("accept", None),
    # __process_kf_arg_ptr_to_graph_root(): check_reg_allocation_locked() fails, no lock held
    "push_without_lock": ("reject", "bpf_spin_lock at off=0 must be held for bpf_list_head"),
    # __process_kf_arg_ptr_to_graph_root(): no bpf_list_head field at the pointer's offset
    "push_at_the_lock": ("reject", "bpf_list_head not found at offset=0"),
    # ... a lock is held, but of another allocation (map .data.B, not .data.A)
    "push_under_other_lock": ("reject",
                              "bpf_spin_lock at off=0 must be held for bpf_list_head"),
    # bpf_spin_unlock: invalidate_non_owning_refs() makes the pushed pointer a scalar
    "use_after_unlock": ("reject", "R6 invalid mem access 'scalar'"),
    # bpf_list_pop_front is KF_ACQUIRE: check_reference_leak() at exit
    "pop_leak": ("reject", "BPF_EXIT instruction in main prog would lead to reference leak"),
    # __process_kf_arg_ptr_to_graph_node(): the node is not in the __contains() type
    "push_wrong_type": ("reject", "operation on bpf_list_head expects arg#1 bpf_list_node at "
                        "offset=8 in struct elem, but arg is at offset=0 in struct other"),
    # check_kfunc_args() KF_ARG_PTR_TO_LIST_NODE: after the first push e is NON_OWN_REF
    "push_twice": ("reject", "arg#1 expected pointer to allocated object"),
    # btf_struct_access(): the record of an allocated object forbids loads of its fields
    "read_node_field": ("reject", "direct access to bpf_list_node is disallowed"),
    # check_map_access(): a map value's special field
    "read_head_field": ("reject", "bpf_list_head cannot be accessed directly by load/store"),
    # check_map_prog_compatibility(), before verification
    "list_in_kprobe": ("reject", "tracing progs cannot use bpf_{list_head,rb_root} yet"),
    # the rbtree root of .data.C: its lock lies after it (clang's layout of the section)
    "rbtree_first_without_lock": ("reject",
                                  "bpf_spin_lock at off=16 must be held for bpf_rb_root"),
    # bpf_rbtree_first gives a non-owning node, bpf_rbtree_remove (KF_ACQUIRE) an owning one
    "rbtree_remove_first": ("accept", None),
    # check_kfunc_args() KF_ARG_PTR_TO_RB_NODE: the non-owning node died at the unlock
    "rbtree_remove_after_unlock": ("reject", "bpf_rbtree_remove can only take non-owning or "
                                   "refcounted bpf_rb_node pointer"),
    "rbtree_node_new_drop": ("accept", None),
    # paths meet holding different locks: refsafe() compares a lock's map, so no pruning
    "lock_one_of_two": ("reject", "bpf_spin_lock at off=0 must be held for bpf_list_head"),
}


def _answers(results) -> dict[str, tuple[str, str | None]]:
    return {r.program: (r.result.verdict.value,
                        r.result.error.message if r.result.error else None) for r in results}


#: notebooks/13-kfuncs-that-own-objects.ipynb: each %%bpf_c cell's answer, as its text says
NOTEBOOK = HERE.parent / "notebooks" / "13-kfuncs-that-own-objects.ipynb"
NOTEBOOK_EXPECTED = {
    "leak_c": ("reject", "BPF_EXIT instruction in main prog would lead to reference leak"),
    "push_pop_c": ("accept", None),
    "no_lock_c": ("reject", "bpf_spin_lock at off=16 must be held for bpf_list_head"),
    "after_unlock_c": ("reject", "R6 invalid mem access 'scalar'"),
}


def _notebook_cells() -> dict[str, str]:
    """name -> C of each ``%%bpf_c ... -n name`` cell (line 1 is the magic's, as it compiles)."""
    out = {}
    for cell in json.loads(NOTEBOOK.read_text())["cells"]:
        first, _, body = "".join(cell["source"]).partition("\n")
        if cell["cell_type"] == "code" and first.startswith("%%bpf_c") and " -n " in first:
            out[first.split(" -n ")[1].split()[0]] = "\n" + body
    return out


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rule programs and the notebook's, each an object in one ``obj`` folder."""
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    folder = tmp_path_factory.mktemp("graph") / "obj"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        sources = {"lists": SOURCE.read_text(), **_notebook_cells()}
        for name, text in sources.items():
            obj = cc.compile_text(text, "cell.bpf.c", btf="bundled")
            shutil.copy(obj.path, folder / f"{name}.bpf.o")
    return folder / "lists.bpf.o"


def _all_answers(folder: Path, **options: object) -> dict[str, tuple[str, str | None]]:
    from kfunclab.elf import verify_object

    out = {}
    for path in sorted(folder.glob("*.bpf.o")):
        out.update(_answers(verify_object(path, **options)))
    return out


@needs_clang
def test_graph_rules_match_linux_6_18(compiled: Path) -> None:
    assert _all_answers(compiled.parent, btf="bundled") == {**EXPECTED, **NOTEBOOK_EXPECTED}


@needs_clang
def test_graph_rules_match_the_running_kernel(compiled: Path, tmp_path: Path) -> None:
    kernel = {k.split(":", 1)[1]: (v["verdict"], v.get("error"))
              for k, v in kernel_answers(compiled.parent, tmp_path).items()}
    if any(v[0] not in ("accept", "reject") for v in kernel.values()):
        pytest.skip(f"the kernel did not judge every program: {kernel}")
    # kfunclab under the running kernel's types (the live/auto profile)
    assert _all_answers(compiled.parent) == kernel


#: graph objects of the selftests corpus, with the programs kfunclab must answer exactly as the
#: kernel does (verdict and first-error line), at least
#: (6.18.44: 115, 11, 12, 1, 1 and 6; a margin for another build's answers)
GRAPH_OBJECTS = {"linked_list_fail.bpf.o": 112, "linked_list.bpf.o": 10, "rbtree_fail.bpf.o": 11,
                 "rbtree_btf_fail__wrong_node_type.bpf.o": 1,
                 "rbtree_btf_fail__add_wrong_type.bpf.o": 1, "local_kptr_stash.bpf.o": 5}


def test_graph_family_of_the_selftests() -> None:
    """The kernel's recorded answers (this machine's, see test_selftests_corpus.py) for the graph
    objects: kfunclab agrees to the message on most, never accepts a rejected program."""
    kernel = corpus_answers(GRAPH_OBJECTS)
    from kfunclab.elf import verify_object

    for name, floor in GRAPH_OBJECTS.items():
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
