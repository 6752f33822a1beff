"""kfunc C text: the seed doc's code blocks, kernel-style files and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfunclab.errors import DeclarationError, ParseError
from kfunclab.kfuncs import KF, Annotation, Hook, load_c, load_catalog

# the project's shared material sits beside the repository (../shared), as in CI
SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
               if p.is_dir()), Path("../shared"))
SEED = SHARED / "docs" / "kfuncs-seed.txt"
CODE_ENDINGS = (";", "{", "}", ")", ",", "/")


def doc_code_blocks(text: str) -> list[str]:
    """Every literal block of the doc: the lines after a line ending in '::', up to prose.

    The seed doc lost its indentation, so a line is code if it is blank, ends like C
    (';' '{' '}' ')' ',' or a comment's '/'), or starts with '/*', '.', '#' or '...'.
    """
    blocks: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.rstrip().endswith("::"):
            continue
        block = []
        for code in lines[i + 1:]:
            s = code.strip()
            if s and not (s.endswith(CODE_ENDINGS) or s.startswith(("/*", ".", "#", "..."))):
                break
            block.append(code)
        blocks.append("\n".join(block))
    return blocks


@pytest.fixture(scope="module")
def blocks() -> list[str]:
    if not SEED.exists():
        pytest.skip(f"{SEED} not available")
    return doc_code_blocks(SEED.read_text())


@pytest.fixture(scope="module")
def doc_prototypes():  # type: ignore[no-untyped-def]
    return load_catalog("doc").registry.declaration


def test_the_doc_has_five_code_blocks(blocks: list[str]) -> None:
    firsts = [b.splitlines()[0] for b in blocks]
    assert firsts == [
        "/* Disables missing prototype warnings */",
        "void bpf_memzero(void *mem, int mem__sz)",
        "void *bpf_obj_new(u32 local_type_id__k, ...)",
        "BTF_SET8_START(bpf_task_set)",
        "BTF_SET8_START(bpf_task_set)",
    ]
    assert blocks[-1].splitlines()[-1] == "late_initcall(init_subsystem);"


def test_every_doc_block_loads_as_is(blocks: list[str], doc_prototypes) -> None:  # type: ignore[no-untyped-def]
    results = [load_c(b, "doc", prototype_of=doc_prototypes, file=f"block{i}")
               for i, b in enumerate(blocks)]
    wrapper = results[0].registry.declaration("bpf_find_get_task_by_vpid")
    assert wrapper is not None and wrapper.ret.pointee_struct == "task_struct"
    assert [p.name for p in wrapper.params] == ["nr"]
    memzero = results[1].registry.declaration("bpf_memzero")
    assert [p.annotation for p in memzero.params] == [Annotation.NONE, Annotation.SIZE]
    obj_new = results[2].registry.declaration("bpf_obj_new")
    assert [p.annotation for p in obj_new.params] == [Annotation.CONSTANT]
    # 2.4 declares the set but registers nothing; 2.5 registers it for TRACING
    assert set(results[3].kfuncs) == {"bpf_get_task_pid", "bpf_put_pid"}
    assert results[3].registry.lookup("bpf_put_pid", "TRACING") is None
    reg = results[4].registry
    assert reg.lookup("bpf_get_task_pid", "BPF_PROG_TYPE_TRACING").flags == KF.ACQUIRE | \
        KF.RET_NULL
    assert reg.lookup("bpf_put_pid", "LSM").flags == KF.RELEASE  # LSM shares the TRACING hook
    assert reg.lookup("bpf_put_pid", "XDP") is None
    assert reg.hooks_of("bpf_put_pid") == (Hook.TRACING,)


def test_doc_blocks_together(blocks: list[str]) -> None:
    text = "\n".join([blocks[0], blocks[1], blocks[2], blocks[4],
                      "struct pid *bpf_get_task_pid(struct task_struct *task);",
                      "void bpf_put_pid(struct pid *pid);"])
    kfuncs, reg = load_c(text, "doc", file="doc")
    assert set(kfuncs) == {"bpf_get_task_pid", "bpf_put_pid"}
    assert reg.declaration("bpf_memzero") is not None
    assert reg.lookup("bpf_memzero", "TRACING") is None  # declared, never registered


def test_doc_set_without_prototypes_needs_a_resolver(blocks: list[str]) -> None:
    with pytest.raises(DeclarationError) as e:
        load_c(blocks[3], "doc", file="block3")
    assert str(e.value).startswith("bpf_get_task_pid: is listed in BTF_ID_FLAGS at block3:2 but "
                                   "declared nowhere; expected its prototype or definition")


def test_doc_registration_is_refused_by_6_18(blocks: list[str], doc_prototypes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DeclarationError) as e:
        load_c(blocks[4], "linux-6.18", prototype_of=doc_prototypes, file="block4")
    assert str(e.value) == (
        "bpf_task_set: was made with BTF_SET8_START; since 6.9 a kfunc set must be declared "
        "with BTF_KFUNCS_START/BTF_KFUNCS_END (register_btf_kfunc_id_set() returns -EINVAL in "
        "linux-6.18) (registered at block4:11)")


KERNEL_STYLE = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#ifdef CONFIG_FOO
typedef int (*my_cb_t)(void *ctx);
#endif
struct my_state { int a; long b; };
static DEFINE_PER_CPU(unsigned long, my_flags);

__bpf_kfunc_start_defs();

/**
 * bpf_my_acquire - a kernel-doc comment { with a brace }
 */
__bpf_kfunc struct task_struct *bpf_my_acquire(struct task_struct *p)
{
	if (!refcount_inc_not_zero(&p->rcu_users)) { return NULL; }
	return p;
}

__bpf_kfunc void bpf_my_release(struct task_struct *p) { put_task_struct(p); }
__bpf_kfunc int bpf_my_cb(my_cb_t cb, u32 len__sz);
__bpf_kfunc int bpf_my_add(struct bpf_rb_root *root, struct bpf_rb_node *node,
	bool (less)(struct bpf_rb_node *a, const struct bpf_rb_node *b));

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(my_kfunc_ids)
BTF_ID_FLAGS(func, bpf_my_acquire, KF_ACQUIRE | KF_RCU | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_my_release, KF_RELEASE);
BTF_KFUNCS_END(my_kfunc_ids)

static const struct btf_kfunc_id_set my_kfunc_set = {
	.owner = THIS_MODULE,
	.set   = &my_kfunc_ids,
};

BTF_KFUNCS_START(my_lsm_ids)
BTF_ID_FLAGS(func, bpf_get_file_xattr, KF_SLEEPABLE | KF_TRUSTED_ARGS)
BTF_KFUNCS_END(my_lsm_ids)

static const struct btf_kfunc_id_set my_lsm_set = {
	.owner = THIS_MODULE,
	.set = &my_lsm_ids,
	.filter = bpf_fs_kfuncs_filter,
};

static int __init my_init(void)
{
	int ret;

	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &my_kfunc_set);
	ret = ret ?: register_btf_kfunc_id_set(BPF_PROG_TYPE_SCHED_CLS, &my_kfunc_set);
	return ret ?: register_btf_kfunc_id_set(BPF_PROG_TYPE_LSM, &my_lsm_set);
}
late_initcall(my_init);
"""


def test_kernel_style_file() -> None:
    xattr = load_catalog("linux-6.18").registry.declaration
    kfuncs, reg = load_c(KERNEL_STYLE, "linux-6.18", prototype_of=xattr, file="my.c")
    assert set(kfuncs) == {"bpf_my_acquire", "bpf_my_release", "bpf_get_file_xattr"}
    assert reg.lookup("bpf_my_acquire", "SCHED_CLS").flags == KF.ACQUIRE | KF.RCU | KF.RET_NULL
    assert reg.lookup("bpf_my_acquire", "XDP") is None
    assert kfuncs["bpf_my_acquire"].source == "my.c:14"
    # the filter keeps the LSM-only kfunc out of the rest of the TRACING hook ...
    assert reg.lookup("bpf_get_file_xattr", "LSM") is not None
    assert reg.lookup("bpf_get_file_xattr", "TRACING") is None
    # ... and only speaks about its own set
    assert reg.lookup("bpf_my_acquire", "TRACING") is not None
    cb = reg.declaration("bpf_my_cb")
    assert cb is not None and cb.params[0].ctype.target.kind.value == "func"
    assert [p.name for p in reg.declaration("bpf_my_add").params] == ["root", "node", "less"]


@pytest.mark.parametrize(("text", "profile", "where", "message"), [
    ("BTF_KFUNCS_START(s)\nBTF_KFUNCS_END(s)\n", "doc", "t.h:1:1:",
     "BTF_KFUNCS_START is not known in doc: it came in 6.9 with \"bpf: treewide: Annotate BPF "
     "kfuncs in BTF\"; expected BTF_SET8_START"),
    ("struct task_struct *bpf_kg(struct task_struct **pp);\nBTF_SET8_START(s)\n"
     "BTF_ID_FLAGS(func, bpf_kg, KF_ACQUIRE | KF_KPTR_GET)\nBTF_SET8_END(s)\n", "linux-6.18",
     "t.h:3:41:", "KF_KPTR_GET is not a flag of linux-6.18: KF_KPTR_GET was removed in 6.4"),
    ("void x(void);\nBTF_KFUNCS_START(s)\nBTF_ID_FLAGS(func, x, KF_ACQUIRED)\n"
     "BTF_KFUNCS_END(s)\n", None, "t.h:3:23:", "unknown kfunc flag 'KF_ACQUIRED'"),
    ("BTF_ID_FLAG(func, x)\n", None, "t.h:1:1:",
     "unknown macro 'BTF_ID_FLAG'; did you mean BTF_ID_FLAGS?"),
    ("BTF_KFUNCS_START(s)\nBTF_ID_FLAGS(func, x)\n", None, "t.h:1:1:",
     "s is never closed; expected BTF_KFUNCS_END(s)"),
    ("BTF_ID_FLAGS(func, x)\n", None, "t.h:1:1:", "BTF_ID_FLAGS outside an ID set"),
    ("BTF_KFUNCS_START(s)\nBTF_ID_FLAGS(x)\nBTF_KFUNCS_END(s)\n", None, "t.h:2:1:",
     "expected BTF_ID_FLAGS(func, name) or BTF_ID_FLAGS(func, name, FLAGS)"),
    ("BTF_KFUNCS_START(a)\nBTF_KFUNCS_END(b)\n", None, "t.h:2:1:",
     "BTF_KFUNCS_END(b) does not close an open set (a is open)"),
    ("static const struct btf_kfunc_id_set ks = { .owner = THIS_MODULE, .sett = &s, };", None,
     "t.h:1:68:", "struct btf_kfunc_id_set has no field .sett; expected .owner, .set or .filter"),
    ("int f(void) { return register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACNG, &ks); }", None,
     "t.h:1:48:", "unknown program type 'BPF_PROG_TYPE_TRACNG'"),
    ("void f(void) { if (x) { }\n", None, "t.h:1:14:", "'{' is never closed; expected '}'"),
    ("int f(void) { return register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &nope); }", None,
     "t.h:1:22:", "no struct btf_kfunc_id_set called nope"),
    ("/* open", None, "t.h:1:1:", "unterminated comment; expected '*/'"),
    ("int bpf_x(int a) @", None, "t.h:1:18:", "unexpected character '@'"),
    ("void f(void) {}\nBTF_KFUNCS_START(s)\nBTF_ID_FLAGS(func, f)\nBTF_KFUNCS_END(s)\n"
     "static const struct btf_kfunc_id_set k = { .set = &s, .filter = mine };\n"
     "register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &k);", None, "t.h:5:38:",
     "filter mine is not a filter kfunclab can evaluate"),
])
def test_c_syntax_errors(text: str, profile: str | None, where: str, message: str) -> None:
    with pytest.raises(ParseError) as e:
        load_c(text, profile, file="t.h")
    assert str(e.value).startswith(where)
    assert message in str(e.value)


def test_declaration_errors_in_c_text_name_the_kfunc() -> None:
    text = ("void bpf_zero(void *mem, int len) { }\nBTF_KFUNCS_START(s)\n"
            "BTF_ID_FLAGS(func, bpf_zero)\nBTF_KFUNCS_END(s)\n")
    with pytest.raises(DeclarationError, match=r"^bpf_zero: arg#0 'mem' is a void \* without"):
        load_c(text)


def test_hookless_program_type_is_refused() -> None:
    text = ("void bpf_a(struct task_struct *p) {}\nBTF_KFUNCS_START(s)\n"
            "BTF_ID_FLAGS(func, bpf_a, KF_RELEASE)\nBTF_KFUNCS_END(s)\n"
            "static const struct btf_kfunc_id_set ks = { .owner = THIS_MODULE, .set = &s, };\n"
            "register_btf_kfunc_id_set(BPF_PROG_TYPE_FLOW_DISSECTOR, &ks);\n")
    with pytest.raises(DeclarationError) as e:
        load_c(text, file="t.h")
    assert str(e.value).startswith("s: cannot be registered for BPF_PROG_TYPE_FLOW_DISSECTOR: it "
                                   "has no kfunc hook in linux-6.18")
    assert str(e.value).endswith("(registered at t.h:6)")


def test_custom_filters_and_fmodret() -> None:
    text = ("int bpf_a(int x) { return x; }\nint bpf_target(int a) { return a; }\n"
            "BTF_KFUNCS_START(s)\nBTF_ID_FLAGS(func, bpf_a)\nBTF_KFUNCS_END(s)\n"
            "BTF_KFUNCS_START(t)\nBTF_ID_FLAGS(func, bpf_target)\nBTF_KFUNCS_END(t)\n"
            "static const struct btf_kfunc_id_set k = { .set = &s, .filter = only_sleepable };\n"
            "static const struct btf_kfunc_id_set f = { .set = &t };\n"
            "static int init(void) {\n"
            "  register_btf_fmodret_id_set(&f);\n"
            "  return register_btf_kfunc_id_set(BPF_PROG_TYPE_UNSPEC, &k);\n}\n")
    from kfunclab.kfuncs import ProgContext
    _, reg = load_c(text, filters={"only_sleepable": lambda p, n: p.sleepable})
    assert reg.lookup("bpf_a", ProgContext("SYSCALL", sleepable=True)) is not None
    assert reg.lookup("bpf_a", "XDP") is None
    assert reg.hooks_of("bpf_target") == (Hook.FMODRET,)
    assert reg.lookup("bpf_target", "TRACING") is None  # fmod_ret targets are not callable


def test_a_static_kfunc_without_bpf_kfunc_is_a_lint():
    from kfunclab.errors import DeclarationError

    text = """static struct task_struct *bpf_find_get_task_by_vpid(pid_t nr)
{
	return find_get_task_by_vpid(nr);
}
BTF_SET8_START(s)
BTF_ID_FLAGS(func, bpf_find_get_task_by_vpid, KF_ACQUIRE | KF_RET_NULL)
BTF_SET8_END(s)
"""
    with pytest.raises(DeclarationError, match="a kfunclab lint, not a kernel check: 'static' "
                                               "without __bpf_kfunc"):
        load_c(text, profile="doc")
    load_c(text.replace("static ", ""), profile="doc")  # the doc's extern wrapper loads
    # __bpf_kfunc keeps a static function alive (__used noinline ...): nothing to warn about
    for spelling in ("static __bpf_kfunc ", "__bpf_kfunc static "):
        load_c(text.replace("static ", spelling, 1), profile="doc")
