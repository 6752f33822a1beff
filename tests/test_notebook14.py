"""notebooks/14-callbacks-and-struct-ops.ipynb: each ``%%bpf_c`` cell answers what its text says.

The cells' outputs are not checked by nbval (they need clang). Here each cell is compiled the way
the magic compiles it and verified by kfunclab, and compared with

- the answer pinned here (Linux 6.18, read from kernel/bpf/verifier.c and net/ipv4/bpf_tcp_ca.c:
  the function named next to each row decides it; recorded on 6.18.44 too), offline, with the
  offset in the struct_ops message taken from the BTF the cell was built against;
- the running kernel, asked during the test through the selftests corpus's loader (libbpf, load
  only; kfunclab.kernel cannot load struct_ops maps), with the processed-instruction counts the
  notebook says agree, where root, bpf() and its libbpf build are available.

The notebook's prose names each kernel message; that is checked against the cell's answer too.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, kernel_answers, needs_clang

from kfunclab import cc
from kfunclab.btf import load_btf
from kfunclab.magics import C_CELL_NAME

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE.parent / "notebooks" / "14-callbacks-and-struct-ops.ipynb"

pytestmark = [needs_clang]


def _snd_una(btf: object) -> int:
    """offsetof(struct tcp_sock, snd_una) in ``btf`` (a first-level member)."""
    for m in btf.struct_members(btf.struct_id("tcp_sock")):  # type: ignore[attr-defined]
        if m.name == "snd_una":
            return m.bit_offset // 8
    raise AssertionError("struct tcp_sock has no snd_una")


def expected(btf: object) -> dict[str, tuple[str, str | None]]:
    """cell -> (verdict, first-error line) under Linux 6.18, and the kernel function deciding it."""
    return {
        # prepare_func_exit() back to the call site until is_state_visited() prunes the walk
        "loop_sum_c": ("accept", None),
        # check_mem_access(): the callback's R2 is a PTR_TO_MAP_KEY
        "for_each_key_write_c": ("reject", "write to change key R2 not allowed"),
        # prepare_func_exit(): bpf_loop's callback_ret_range is [0, 1]
        "loop_ret_two_c": ("reject", "At callback return the register R0 has smin=2 smax=2 "
                           "should have been in [0, 1]"),
        # check_return_code(): an async (timer) callback returns 0
        "timer_ret_one_c": ("reject", "At async callback return the register R0 has smin=1 "
                            "smax=1 should have been in [0, 0]"),
        # check_kfunc_call(): in_sleepable() is false in a timer callback (push_async_cb())
        "timer_sleeps_c": ("reject", "program must be sleepable to call sleepable kfunc "
                           "bpf_copy_from_user_str"),
        # check_reference_leak() at main's exit: the callback's reference is the state's
        "loop_acquire_c": ("reject", "BPF_EXIT instruction in main prog would lead to "
                           "reference leak"),
        "loop_acquire_release_c": ("accept", None),
        "ref_across_loop_c": ("accept", None),
        # do_check_insn(): no helper call but bpf_spin_unlock under a lock
        "lock_across_loop_c": ("reject", "function calls are not allowed while holding a lock"),
        # ... and in bpf_rbtree_add's less(), walked inside the lock
        "rbtree_less_c": ("reject", "function calls are not allowed while holding a lock"),
        # bpf_tcp_ca_kfunc_set, registered for BPF_PROG_TYPE_STRUCT_OPS
        "cc_slow_start_c": ("accept", None),
        # check_kfunc_call(): not in a set registered for BPF_PROG_TYPE_SCHED_CLS
        "tc_slow_start_c": ("reject", "calling kernel function tcp_slow_start is not allowed"),
        # bpf_tcp_ca_btf_struct_access(): snd_una is not writable
        "cc_write_una_c": ("reject", f"no write support to tcp_sock at off {_snd_una(btf)}"),
    }


def _cells() -> list[tuple[str, str, str]]:
    """(name, C as the magic compiles it: line 1 is the magic's, the markdown after the cell)
    for each ``%%bpf_c ... -n name`` cell."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    out = []
    for k, cell in enumerate(cells):
        first, _, body = "".join(cell["source"]).partition("\n")
        if cell["cell_type"] == "code" and first.startswith("%%bpf_c") and " -n " in first:
            after = "".join(cells[k + 1]["source"]) if k + 1 < len(cells) else ""
            out.append((first.split(" -n ")[1].split()[0], "\n" + body, after))
    return out


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each cell's object, built against the bundled types and against the running kernel's,
    in one ``obj`` folder per BTF."""
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        for btf in ("bundled", "auto"):
            folder = tmp_path_factory.mktemp(f"nb14-{btf}") / "obj"
            folder.mkdir()
            for name, source, _ in _cells():
                obj = cc.compile_text(source, C_CELL_NAME, btf=btf)
                shutil.copy(obj.path, folder / f"{name}.bpf.o")
            out[btf] = folder
    return out


def _results(folder: Path, **options: object) -> dict:
    from kfunclab.elf import verify_object

    return {r.program: r.result for path in sorted(folder.glob("*.bpf.o"))
            for r in verify_object(path, **options)}


def _answers(results: dict) -> dict[str, tuple[str, str | None]]:
    return {name: (r.verdict.value, r.error.message if r.error else None)
            for name, r in results.items()}


@pytest.fixture(scope="module")
def bundled(compiled: dict[str, Path]) -> dict:
    return _results(compiled["bundled"], btf="bundled")


def test_every_cell_is_pinned() -> None:
    assert [name for name, _, _ in _cells()] == list(expected(load_btf("bundled")))


def test_cells_match_linux_6_18(bundled: dict) -> None:
    assert _answers(bundled) == expected(load_btf("bundled"))


def test_the_text_names_each_kernel_message(bundled: dict) -> None:
    """A reject's message is quoted in the markdown after its cell (offsets: as `N`)."""
    for name, _, after in _cells():
        error = bundled[name].error
        if error is None:
            continue
        said = " ".join(after.split())
        message = re.sub(r"off \d+$", "off N", error.message)
        assert f"`{message}`" in said, (name, message)


def test_the_callback_is_walked_until_its_state_converges(bundled: dict) -> None:
    """loop_sum_c: three walks of add_one, s.total 0, then a u32, then widened, then pruned."""
    result = bundled["loop_sum_c"]
    prog = result.program
    call = next(i for i, insn in enumerate(prog.insns) if getattr(insn, "name", "") == "bpf_loop")
    first = next(i for i, name in prog.func_names.items() if name == "add_one")
    assert result.visits[first] == 3
    totals = [step.state.stack_text()["fp-8"] for path in result.paths for step in path.steps
              if step.insn == call]
    assert totals[0] == "0" and totals[-1] == "scalar()" and len(totals) == 3
    assert "smax=umax=0xffffffff" in totals[1]
    assert [(e.insn, e.path_id) for e in result.prune_events] == [(call, result.paths[-1].id)]


def test_the_leak_names_the_callbacks_kfunc_call(bundled: dict) -> None:
    """loop_acquire_c: the error is at main's exit, alloc_insn is the call in the callback."""
    result = bundled["loop_acquire_c"]
    prog = result.program
    (context,) = result.error.context
    alloc = int(re.fullmatch(r"Unreleased reference id=2 alloc_insn=(\d+)", context).group(1))
    callback = next(i for i, name in prog.func_names.items() if name == "find_init")
    assert alloc >= callback > result.error.insn
    assert getattr(prog.insns[alloc], "name", "") == "bpf_task_from_pid"


def test_the_rbtree_callback_is_refused_inside_itself(bundled: dict) -> None:
    """rbtree_less_c: the error is the helper call in coin(), not the bpf_rbtree_add call."""
    result = bundled["rbtree_less_c"]
    prog = result.program
    coin = next(i for i, name in prog.func_names.items() if name == "coin")
    assert result.error.insn >= coin
    assert getattr(prog.insns[result.error.insn], "name", "") == "bpf_get_prandom_u32"


def test_struct_ops_argument_is_a_trusted_tcp_sock(bundled: dict) -> None:
    """cc_slow_start_c: ctx at entry; its first load gives trusted_ptr_tcp_sock()."""
    result = bundled["cc_slow_start_c"]
    assert result.paths[0].start_state.format() == "R1=ctx() R10=fp0"
    assert "=trusted_ptr_tcp_sock()" in result.paths[0].steps[0].state.format()


def test_cells_match_the_running_kernel(compiled: dict[str, Path], tmp_path: Path) -> None:
    """The running kernel's verdicts, first errors and processed counts; kfunclab under the
    running kernel's types (the live/auto profile) gives the same."""
    kernel = {k.split(":", 1)[1]: v for k, v in kernel_answers(compiled["auto"], tmp_path).items()}
    if any(v["verdict"] not in ("accept", "reject") for v in kernel.values()):
        pytest.skip(f"the kernel did not judge every cell: {kernel}")
    ours = _results(compiled["auto"])
    assert _answers(ours) == {k: (v["verdict"], v.get("error")) for k, v in kernel.items()}
    assert {k: r.stats.processed_insns for k, r in ours.items()} == \
        {k: v["processed_insns"] for k, v in kernel.items()}
