"""The C header writer (kfunclab.btf.cheader): exact text for tricky kinds on small BTF, and
headers of the live and bundled BTF that clang compiles with the kernel's layout."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from kfunclab.btf import live_available, load_btf
from kfunclab.btf.builder import BtfBuilder
from kfunclab.btf.cheader import HeaderWriter, type_definitions, write_header
from kfunclab.btf.model import Btf
from kfunclab.btf.snapshot import closure
from kfunclab.btf.testing import tiny_btf
from kfunclab.btf.types import BtfKind, Composite, Linkage

CLANG = next((shutil.which(n) for n in ("clang", "clang-16", "clang-19") if shutil.which(n)),
             None)
needs_clang = pytest.mark.skipif(CLANG is None, reason="clang is not installed")
needs_live = pytest.mark.skipif(not live_available(), reason="no readable /sys/kernel/btf/vmlinux")
def synthetic():
    b = BtfBuilder()
    int_ = b.add_int("int", 4, signed=True)
    uint = b.add_int("unsigned int", 4)
    char = b.add_int("char", 1, signed=True)
    long_ = b.add_int("long", 8, signed=True)
    b.add_int("unsigned long long", 8)
    # bitfields with a gap and a member after them
    b.add_struct("flags", 8, [("a", uint, 0, 3), ("b", uint, 3, 5), ("c", int_, 32)])
    # anonymous union inside a struct
    anon = b.add_struct("", 8, [("as_long", long_, 0), ("as_int", int_, 0)], union=True)
    b.add_struct("holder", 16, [("kind", int_, 0), ("", anon, 64)])
    # function pointers
    void_ptr = b.add_ptr(0)
    cb_proto = b.add_func_proto(int_, [("", void_ptr), ("", long_)])
    cb_ptr = b.add_ptr(cb_proto)
    b.add_typedef("cb_t", cb_ptr)
    noargs = b.add_ptr(b.add_func_proto(0, []))
    char_ptr = b.add_ptr(char)
    ret_fp = b.add_ptr(b.add_func_proto(char_ptr, [("", int_)]))
    b.add_struct("ops", 24, [("cb", cb_ptr, 0), ("done", noargs, 64), ("name", ret_fp, 128)])
    # arrays of pointers, pointer to array, 2-D array
    names = b.add_array(char_ptr, int_, 4)
    arr3 = b.add_array(int_, int_, 3)
    grid = b.add_array(b.add_array(int_, int_, 2), int_, 3)
    b.add_struct("arrays", 64, [("names", names, 0), ("row", b.add_ptr(arr3), 256),
                                ("grid", grid, 320), ("cbs", b.add_array(cb_ptr, int_, 0), 512)])
    # enums
    b.add_enum64("big", [("BIG_ONE", 1), ("BIG_HUGE", 1 << 40)])
    b.add_enum("small", [("SMALL_A", 0), ("SMALL_B", 200)], size=1)
    b.add_enum("sign", [("NEG", -1), ("POS", 1)], signed=True)
    b.add_enum("", [("FLAG_X", 1), ("FLAG_Y", 2)])
    return b

def second():
    b = BtfBuilder()
    int_ = b.add_int("int", 4, signed=True)
    char = b.add_int("char", 1, signed=True)
    u16 = b.add_int("unsigned short", 2)
    u64 = b.add_int("unsigned long long", 8)
    # struct a and struct b point at each other: b needs a forward declaration
    b.add_struct("a", 8, [("other", 7, 0)])             # 5: other is a struct b *
    b.add_struct("b", 16, [("first", 5, 0), ("back", 8, 64)])  # 6
    b.add_ptr(6)                                         # 7
    b.add_ptr(5)                                         # 8
    cchar = b.add_const(char)
    cptr = b.add_const(b.add_ptr(cchar))
    vint = b.add_volatile(int_)
    rptr = b.add_restrict(b.add_ptr(int_))
    rcu = b.add_ptr(b.add_type_tag("rcu", 5))
    pcpu = b.add_ptr(b.add_type_tag("address_space(1)", 0, attribute=True))
    quals = b.add_struct("quals", 48, [("name", cptr, 0), ("counter", vint, 64), ("p", rptr, 128),
                                       ("parent", rcu, 192), ("pcpu", pcpu, 256),
                                       ("tagged", int_, 320)])
    b.add_decl_tag("user", quals, 5)
    # same name twice
    b.add_struct("dup", 4, [("x", int_, 0)])
    b.add_struct("dup", 8, [("y", u64, 0)])
    # packed, and a cache-line gap
    b.add_struct("pk", 6, [("tag", u16, 0), ("val", int_, 16)])
    b.add_struct("gap", 128, [("x", int_, 0), ("y", int_, 512)])
    # forward declaration, float, typedef of an anonymous struct
    fwd = b.add_fwd("opaque")
    b.add_typedef("opaque_t", fwd)
    b.add_float("double", 8)
    b.add_typedef("pair_t", b.add_struct("", 8, [("lo", int_, 0), ("hi", int_, 32)]))
    # a kfunc with a named parameter, and a per-cpu variable
    proto = b.add_func_proto(int_, [("task", rcu), ("flags", u64)])
    kf = b.add_func("bpf_thing", proto, Linkage.GLOBAL)
    b.add_decl_tag("bpf_kfunc", kf)
    b.add_decl_tag("bpf_fastcall", kf)
    var = b.add_var("counter", int_)
    b.add_datasec(".data..percpu", 4, [(var, 0, 4)])
    return b


def defs(b: BtfBuilder) -> dict[str, str]:
    """Top-level definitions by their first line ("struct flags {")."""
    return {d.splitlines()[0]: d for d in type_definitions(Btf.from_bytes(b.build()))}


def test_bitfields_keep_their_widths_and_the_member_after_them() -> None:
    assert defs(synthetic())["struct flags {"] == (
        "struct flags {\n\tunsigned int a: 3;\n\tunsigned int b: 5;\n\tint c;\n};")


def test_anonymous_union_is_written_inline() -> None:
    assert defs(synthetic())["struct holder {"] == (
        "struct holder {\n\tint kind;\n\tunion {\n\t\tlong as_long;\n\t\tint as_int;\n\t};\n};")


def test_function_pointers() -> None:
    d = defs(synthetic())
    assert d["typedef int (*cb_t)(void *, long);"] == "typedef int (*cb_t)(void *, long);"
    assert d["struct ops {"] == ("struct ops {\n\tint (*cb)(void *, long);\n"
                                 "\tvoid (*done)(void);\n\tchar * (*name)(int);\n};")


def test_arrays_of_pointers_pointer_to_array_and_2d() -> None:
    assert defs(synthetic())["struct arrays {"] == (
        "struct arrays {\n\tchar *names[4];\n\tint (*row)[3];\n\tint grid[3][2];\n"
        "\tint (*cbs[0])(void *, long);\n};")


def test_enums_enum64_sizes_signs_and_anonymous() -> None:
    d = defs(synthetic())
    assert d["enum big {"] == "enum big {\n\tBIG_ONE = 1ULL,\n\tBIG_HUGE = 1099511627776ULL,\n};"
    assert d["enum small {"].endswith("} __attribute__((mode(byte)));")
    assert "\tNEG = -1,\n" in d["enum sign {"]
    assert d["enum {"] == "enum {\n\tFLAG_X = 1,\n\tFLAG_Y = 2,\n};"


def test_pointer_cycles_get_a_forward_declaration_first() -> None:
    order = [d.splitlines()[0] for d in type_definitions(Btf.from_bytes(second().build()))]
    assert order[:3] == ["struct b;", "struct a {", "struct b {"]


def test_qualifiers_type_tags_and_decl_tags() -> None:
    assert defs(second())["struct quals {"] == (
        "struct quals {\n"
        "\tconst char * const name;\n"
        "\tvolatile int counter;\n"
        "\tint * restrict p;\n"
        '\tstruct a __attribute__((btf_type_tag("rcu"))) *parent;\n'
        "\tvoid __attribute__((address_space(1))) *pcpu;\n"
        '\tint tagged __attribute__((btf_decl_tag("user")));\n'
        "};")


def test_duplicate_names_packed_structs_and_padding() -> None:
    d = defs(second())
    assert "struct dup___2 {" in d and "struct dup {" in d
    assert d["struct pk {"].endswith("} __attribute__((packed));")
    gap = d["struct gap {"]
    assert gap.count("long: 64;") == 14 and "\tint y;" in gap


def test_fwd_typedef_of_anonymous_struct_and_kfunc_prototypes() -> None:
    d = defs(second())
    assert "struct opaque;" in d and "typedef struct opaque opaque_t;" in d
    assert d["typedef struct {"] == "typedef struct {\n\tint lo;\n\tint hi;\n} pair_t;"
    text = write_header(Btf.from_bytes(second().build()), variables=True)
    assert ('extern int bpf_thing(struct a __attribute__((btf_type_tag("rcu"))) *task, '
            "unsigned long long flags) __bpf_fastcall __weak __ksym;") in text
    assert "extern const int counter __ksym;" in text
    assert text.startswith("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n")
    assert ("#pragma clang attribute push (__attribute__((preserve_access_index)), "
            "apply_to = record)") in text


def test_kfunc_prototypes_can_be_left_out() -> None:
    text = write_header(tiny_btf(), kfuncs=False)
    assert "__ksym" not in text and "struct task_struct {" in text


def test_snapshot_stubs_become_forward_declarations() -> None:
    btf = tiny_btf()
    keep = closure(btf, [btf.lookup("bpf_task_acquire", "FUNC")],
                   stub_structs_behind_pointers=True)
    stub = Btf(btf.raw, "stub test", stubs=frozenset(t for t, full in keep.items() if not full))
    text = write_header(stub)
    assert "struct task_struct;" in text and "struct task_struct {" not in text
    assert "extern struct task_struct *bpf_task_acquire(struct task_struct *p)" in text


# -- clang ------------------------------------------------------------------------------------

PROGRAM = """#include "vmlinux.h"
#define SEC(name) __attribute__((section(name), used))
char LICENSE[] SEC("license") = "GPL";
SEC("tp_btf/task_newtask")
int prog(unsigned long long *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];
	return task->pid;
}
"""


def layout_asserts(writer: HeaderWriter) -> str:
    """_Static_asserts of sizeof and of every named non-bitfield member's offset."""
    btf, out = writer.btf, ["#define A(c) _Static_assert(c, #c);"]
    for tid in range(1, len(btf.raw)):
        if btf.raw.kinds[tid] not in (BtfKind.STRUCT, BtfKind.UNION) or tid in btf.stubs:
            continue
        t = btf.raw.decode(tid)
        assert isinstance(t, Composite)
        if not t.name:
            continue
        c = f"{t.kind.name.lower()} {writer.c.tag_name(tid)}"
        out.append(f"A(sizeof({c}) == {t.size})")
        for m in t.members:
            off, bits = writer.c.member_bits(t, m)
            if m.name and not bits:
                out.append(f"A(__builtin_offsetof({c}, {m.name}) == {off // 8})")
    return "\n".join(out) + "\n"


def clang(tmp: Path, header: str, program: str) -> subprocess.CompletedProcess:
    (tmp / "vmlinux.h").write_text(header)
    (tmp / "prog.bpf.c").write_text(program)
    return subprocess.run([CLANG, "-target", "bpf", "-O2", "-g", "-c", "prog.bpf.c", "-o",
                           "prog.bpf.o"], cwd=tmp, capture_output=True, text=True, check=False)


@needs_clang
def test_synthetic_headers_compile_with_their_layout(tmp_path: Path) -> None:
    for i, b in enumerate((synthetic(), second())):
        w = HeaderWriter(Btf.from_bytes(b.build()))
        header = w.header(variables=True)
        proc = clang(tmp_path, header, '#include "vmlinux.h"\n' + layout_asserts(w))
        assert proc.returncode == 0, (i, proc.stderr[:2000])


@functools.cache
def kernel_header(source: str) -> tuple[HeaderWriter, str]:
    """The header of the live or bundled BTF, written once for this module's tests."""
    w = HeaderWriter(load_btf(source))
    return w, w.header()


@needs_clang
@pytest.mark.parametrize("source", [pytest.param("live", marks=needs_live), "bundled"])
def test_kernel_header_compiles_with_the_kernels_layout(source: str, tmp_path: Path) -> None:
    w, header = kernel_header(source)
    asserts = layout_asserts(w)
    assert asserts.count("\n") > 1000  # sizes and offsets of the kernel's structs
    proc = clang(tmp_path, header, PROGRAM + asserts)
    assert proc.returncode == 0, proc.stderr[:3000]
    assert (tmp_path / "prog.bpf.o").read_bytes()[:4] == b"\x7fELF"


def _blocks(text: str) -> list[str]:
    start = text.index("#endif\n\n") + len("#endif\n\n")
    body = text[start:text.find("#ifndef BPF_NO_KFUNC_PROTOTYPES")]
    body = body[:body.rfind("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX")]
    return [b.strip() for b in body.split(";\n\n") if b.strip()]


@needs_live
@pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool is not installed")
def test_live_header_matches_bpftool_for_almost_every_definition() -> None:
    theirs = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux",
                             "format", "c"], capture_output=True, text=True, check=True).stdout
    ours = kernel_header("live")[1]
    a, b = _blocks(ours), _blocks(theirs)
    differ = sum((Counter(a) - Counter(b)).values())
    # the differences are the padding type chosen for a gap (int: 28 vs long: 28, ...) and
    # enums of 1 byte, which older bpftool writes without mode(byte)
    assert len(a) == len(b) and differ <= len(a) // 100, (differ, len(a))
