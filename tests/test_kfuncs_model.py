"""kfunc flags, parameter annotations and declaration checks (kfunclab.kfuncs)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kfunclab.ctype import integer, ptr_to, struct
from kfunclab.errors import DeclarationError, ParseError
from kfunclab.kfuncs import KF, Annotation, Kfunc, Param, annotation_of, format_flags, parse_flags
from kfunclab.kfuncs.profiles import get_profile

U32 = integer("u32", 4, False)

# --- flags ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "bit"), [
    (KF.ACQUIRE, 0), (KF.RELEASE, 1), (KF.RET_NULL, 2), (KF.KPTR_GET, 3), (KF.TRUSTED_ARGS, 4),
    (KF.SLEEPABLE, 5), (KF.DESTRUCTIVE, 6), (KF.RCU, 7), (KF.ITER_NEW, 8), (KF.ITER_NEXT, 9),
    (KF.ITER_DESTROY, 10), (KF.RCU_PROTECTED, 11), (KF.FASTCALL, 12),
])
def test_flag_bits_are_the_kernels(flag: KF, bit: int) -> None:
    assert flag == 1 << bit


@pytest.mark.parametrize(("text", "value"), [
    ("KF_ACQUIRE | KF_RET_NULL", 0b101),
    ("KF_ACQUIRE|KF_RCU|KF_RET_NULL", 0b10000101),
    ("  KF_RELEASE  ", 0b10),
    ("0", 0),
    ("", 0),
    ("KF_ITER_NEXT | KF_RET_NULL", (1 << 9) | 4),
])
def test_parse_flags(text: str, value: int) -> None:
    assert parse_flags(text) == value


@pytest.mark.parametrize(("text", "message"), [
    ("KF_ACQUIRED", "unknown kfunc flag 'KF_ACQUIRED'; expected one of KF_ACQUIRE"),
    ("ACQUIRE", "unknown kfunc flag 'ACQUIRE'"),
    ("KF_ACQUIRE |", "empty term in flag expression"),
])
def test_parse_flags_errors(text: str, message: str) -> None:
    with pytest.raises(DeclarationError, match=r"^bpf_x: ") as e:
        parse_flags(text, "bpf_x")
    assert message in str(e.value)


def test_format_flags_in_kernel_order() -> None:
    assert format_flags(KF.RET_NULL | KF.ACQUIRE | KF.RCU) == "KF_ACQUIRE | KF_RET_NULL | KF_RCU"
    assert format_flags(KF(0)) == "0"


# --- annotations ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "annotation"), [
    ("mem__sz", Annotation.SIZE),
    ("buffer__szk", Annotation.CONST_SIZE),  # __szk, not __k and not __sz
    ("local_type_id__k", Annotation.CONSTANT),
    ("meta__ign", Annotation.IGNORE),
    ("ptr__uninit", Annotation.UNINIT),
    ("buffer__opt", Annotation.OPTIONAL),
    ("task__nullable", Annotation.NULLABLE),
    ("name__str", Annotation.CONST_STR),
    ("p__map", Annotation.MAP),
    ("p__alloc", Annotation.ALLOC),
    ("p__refcounted_kptr", Annotation.REFCOUNTED_KPTR),
    ("flags__irq_flag", Annotation.IRQ_FLAG),
    ("aux__prog", Annotation.PROG),
    ("rdonly_buf_size", Annotation.RDONLY_BUF_SIZE),
    ("rdwr_buf_size", Annotation.RDWR_BUF_SIZE),
    ("__sz", Annotation.NONE),  # btf_param_match_suffix: the name must be longer than the suffix
    ("__k", Annotation.NONE),
    ("buf_size", Annotation.NONE),
    ("rdonly_buf_size__k", Annotation.CONSTANT),  # the special names are whole names only
    ("my_rdonly_buf_size", Annotation.NONE),
    ("buf__sz_", Annotation.NONE),
    ("p", Annotation.NONE),
])
def test_annotation_table(name: str, annotation: Annotation) -> None:
    assert annotation_of(name) is annotation


def test_annotations_depend_on_the_profile() -> None:
    doc = get_profile("doc")
    assert annotation_of("task__nullable", doc.annotations) is Annotation.NONE
    assert annotation_of("mem__sz", doc.annotations) is Annotation.SIZE
    assert Param.of("p__str", ptr_to(integer("char", 1, True)), get_profile("doc")).annotation \
        is Annotation.NONE
    assert Param.of("p__str", ptr_to(integer("char", 1, True))).annotation is Annotation.CONST_STR


def test_param_defaults_and_base_name() -> None:
    p = Param("mem__sz", integer("int", 4, True))
    assert (p.annotation, p.base_name) == (Annotation.SIZE, "mem")
    assert Param("rdwr_buf_size", U32).base_name == "rdwr_buf_size"


# --- declarations -----------------------------------------------------------------------------


def test_declare_reads_prototype_and_annotations() -> None:
    k = Kfunc.declare("struct task_struct *bpf_task_acquire(struct task_struct *p)",
                      KF.ACQUIRE | KF.RCU | KF.RET_NULL)
    assert k.name == "bpf_task_acquire"
    assert k.ret.pointee_struct == "task_struct"
    assert [(p.name, p.ctype.pointee_struct) for p in k.params] == [("p", "task_struct")]
    assert k.flags == KF.ACQUIRE | KF.RCU | KF.RET_NULL
    assert (k.btf_id, k.gpl_only) == (None, True)
    assert k.prototype() == "struct task_struct *bpf_task_acquire(struct task_struct *p)"


def test_declare_flags_as_text_and_doc_examples() -> None:
    k = Kfunc.declare("void bpf_memzero(void *mem, int mem__sz) { ... }", "0")
    assert [p.annotation for p in k.params] == [Annotation.NONE, Annotation.SIZE]
    obj = Kfunc.declare("void *bpf_obj_new(u32 local_type_id__k, ...)", profile="doc")
    assert [p.name for p in obj.params] == ["local_type_id__k"]  # "..." adds nothing
    assert obj.params[0].annotation is Annotation.CONSTANT


def test_plain_constructor_and_build() -> None:
    k = Kfunc("bpf_put_pid", (Param("pid", ptr_to(struct("pid"))),), integer("int", 4, True),
              KF.RELEASE, btf_id=42, source="hand")
    assert (k.flags_text, k.btf_id) == ("KF_RELEASE", 42)
    b = Kfunc.build("bpf_s", [("len__szk", U32)], integer("int", 4, True), "KF_RCU")
    assert b.params[0].annotation is Annotation.CONST_SIZE and b.flags == KF.RCU
    with pytest.raises(DeclarationError, match="C identifier"):
        Kfunc("not a name", (), integer("int", 4, True))


def test_kfunc_is_frozen_and_hashable() -> None:
    k = Kfunc.declare("void bpf_rcu_read_lock(void)")
    with pytest.raises(AttributeError):
        k.name = "x"  # type: ignore[misc]
    assert hash(k) == hash(Kfunc.declare("void bpf_rcu_read_lock(void)"))


@pytest.mark.parametrize(("text", "flags", "profile", "message"), [
    ("void bpf_zero(void *mem, int len)", "0", None,
     "bpf_zero: arg#0 'mem' is a void * without a size: the verifier cannot tell how much memory "
     "it points to (\"arg#0 pointer type UNKNOWN  must point to scalar, or struct with "
     "scalar\": void prints as UNKNOWN with no name); expected the next argument to be its "
     "size, named mem__sz (or mem__szk"),
    ("int bpf_n(void *p__nullable)", "0", "doc",
     "'__nullable' is not an annotation in doc: the kernel reads 'p__nullable' as a plain name"),
    ("int bpf_o(void *buf__opt)", "0", None,
     "bpf_o: arg#0 'buf__opt': __opt marks an optional sized buffer; expected the next argument "
     "to be its size (buf__sz or buf__szk)"),
    ("int bpf_u(void *p__uninit)", "0", None,
     "bpf_u: arg#0 'p__uninit': __uninit is understood on a struct bpf_dynptr *"),
    ("void bpf_k(struct task_struct *p__k)", "0", None,
     "bpf_k: arg#0 'p__k' is struct task_struct *, but __k is only read on a scalar argument "
     "(it says the value is a known constant); on a pointer the kernel ignores it (a kfunclab "
     "lint, not a kernel check); expected an integer type such as u32"),
    ("void bpf_s(struct foo *a, struct bar *len__sz)", "0", None,
     "bpf_s: arg#1 'len__sz' is struct bar *, but __sz is only understood on a scalar"),
    ("int bpf_sz(int len__sz)", "0", None,
     "bpf_sz: arg#0 'len__sz' is a __sz size, but the argument before it is not a pointer"),
    ("int bpf_str(int *s__str)", "0", None,
     "bpf_str: arg#0 's__str': __str marks a constant string; expected const char *, found int *"),
    ("int bpf_m(u64 m__map)", "0", None,
     "bpf_m: arg#0 'm__map' is u64, but __map marks a pointer argument; expected a pointer type"),
    ("int bpf_two(u32 a__k, u32 b__k)", "0", None,
     "bpf_two: has two __k arguments ('a__k' and 'b__k'); the verifier keeps one constant per "
     "call (meta->arg_constant), expected at most one"),
    ("int bpf_rd(u32 rdonly_buf_size, u32 rdwr_buf_size)", "0", None,
     "2 or more rdonly/rdwr_buf_size parameters for kfunc"),
    ("int bpf_six(int a, int b, int c, int d, int e, int f)", "0", None,
     "bpf_six: has 6 arguments; expected at most 5 (R1-R5), the verifier says \"Function bpf_six "
     "has 6 > 5 args\""),
    ("int bpf_x(struct foo f)", "0", None,
     "bpf_x: arg#0 'f' is struct foo; expected a scalar or a pointer (the verifier says "
     "\"Unrecognized arg#0 type STRUCT\")"),
    ("int bpf_pp(int **p)", "0", None,
     "bpf_pp: arg#0 'p' is int **, a pointer to a pointer; expected a pointer to a scalar or a "
     "struct"),
    ("int bpf_a(int x)", "KF_ACQUIRE", None,
     "bpf_a: KF_ACQUIRE needs a function returning a struct pointer, but it returns int; "
     "expected e.g. struct task_struct * (the verifier says \"acquire kernel function does not "
     "return PTR_TO_BTF_ID\""),
    ("void *bpf_obj_new(u32 local_type_id__k, ...)", "KF_ACQUIRE | KF_RET_NULL", None,
     "bpf_obj_new: KF_ACQUIRE needs a function returning a struct pointer, but it returns "
     "void *"),
    ("void bpf_r(int x)", "KF_RELEASE", None,
     "bpf_r: KF_RELEASE releases the referenced pointer passed to it, but it takes no pointer "
     "argument"),
    ("int bpf_iter_foo_new(struct bpf_iter_foo *it)", "KF_ITER_NEW | KF_ACQUIRE", None,
     "bpf_iter_foo_new: KF_ITER_NEW with KF_ACQUIRE: an iterator constructor takes its "
     "reference on the iterator's stack slot, not through its return value; expected "
     "KF_ITER_NEW alone"),
    ("int bpf_iter_foo_new(struct bpf_iter_foo *it)", "KF_ITER_NEW | KF_ITER_NEXT", None,
     "more than one of KF_ITER_NEW, KF_ITER_NEXT, KF_ITER_DESTROY; expected exactly one"),
    ("int bpf_it(struct bpf_iter_foo *it)", "KF_ITER_NEW", None,
     "bpf_it: iterator kfuncs are named bpf_iter_<type>_new; expected bpf_iter_foo_new"),
    ("int bpf_iter_foo_new(struct foo *it)", "KF_ITER_NEW", None,
     "an iterator kfunc takes struct bpf_iter_<type> * as its first argument; found struct "
     "foo *"),
    ("int bpf_iter_foo_next(struct bpf_iter_foo *it)", "KF_ITER_NEXT", None,
     "bpf_iter_foo_next must return a pointer (NULL ends the iteration); found int"),
    ("int bpf_iter_foo_destroy(struct bpf_iter_foo *it)", "KF_ITER_DESTROY", None,
     "bpf_iter_foo_destroy must return void; found int"),
    ("int *bpf_iter_foo_next(struct bpf_iter_foo *it, int x)", "KF_ITER_NEXT | KF_RET_NULL",
     None, "only the constructor may take arguments besides the iterator"),
    ("struct task_struct *bpf_kg(struct task_struct **pp)", "KF_KPTR_GET", "doc",
     "bpf_kg: KF_KPTR_GET should be used in conjunction with KF_ACQUIRE and KF_RET_NULL "
     "(kfuncs.rst 2.4.4); missing KF_ACQUIRE and KF_RET_NULL"),
    ("struct task_struct *bpf_kg(struct task_struct *p)", "KF_KPTR_GET | KF_ACQUIRE | KF_RET_NULL",
     "doc", "KF_KPTR_GET takes a pointer to a kptr as its first argument; expected struct X **"),
    ("struct task_struct *bpf_kg(struct task_struct **pp)",
     "KF_KPTR_GET | KF_ACQUIRE | KF_RET_NULL", "linux-6.18",
     "bpf_kg: KF_KPTR_GET is not a flag of linux-6.18: KF_KPTR_GET was removed in 6.4 "
     "(7b4ddf3920d2 \"bpf: Remove KF_KPTR_GET kfunc flag\")"),
    ("struct task_struct *bpf_t(struct task_struct *p)", "KF_TRUSTED_ARGS", "linux-7.0",
     "bpf_t: KF_TRUSTED_ARGS is not a flag of linux-7.0: KF_TRUSTED_ARGS was removed in 7.0"),
    ("int bpf_f(int x)", "KF_FASTCALL", "doc",
     "bpf_f: KF_FASTCALL is not a flag of doc: KF_FASTCALL came in 6.13"),
    ("int bpf_sr(int a)", "KF_SLEEPABLE | KF_RCU_PROTECTED", None,
     "bpf_sr: KF_SLEEPABLE with KF_RCU_PROTECTED can never be called"),
    ("int bpf_f(int a, int a)", "0", None,
     "bpf_f: two parameters are called 'a'; expected distinct names"),
])
def test_declaration_errors(text: str, flags: str, profile: str | None, message: str) -> None:
    with pytest.raises(DeclarationError) as e:
        Kfunc.declare(text, flags, profile=profile)
    assert message in str(e.value)


@pytest.mark.parametrize("text", [
    "void *bpf_obj_new_impl(u64 local_type_id__k, void *meta__ign)",
    "int bpf_dynptr_from_skb(struct __sk_buff *s, u64 flags, struct bpf_dynptr *ptr__uninit)",
    "void *bpf_dynptr_slice(const struct bpf_dynptr *p, u32 offset, void *buffer__opt, "
    "u32 buffer__szk)",
    "void bpf_obj_drop_impl(void *p__alloc, void *meta__ign)",
    "void *bpf_cast_to_kern_ctx(void *obj)",  # the ctx special case
    "int bpf_get_file_xattr(struct file *file, const char *name__str, "
    "struct bpf_dynptr *value_p)",
    "void bpf_local_irq_save(long unsigned int *flags__irq_flag)",
    "int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node, "
    "bool (*less)(struct bpf_rb_node *, const struct bpf_rb_node *), void *meta__ign, u64 off)",
])
def test_real_kernel_declarations_are_accepted(text: str) -> None:
    Kfunc.declare(text, "0", profile="linux-6.18")


def test_acquire_exemption_is_profile_data() -> None:
    ok = Kfunc.declare("void *bpf_obj_new_impl(u64 local_type_id__k, void *meta__ign)",
                       "KF_ACQUIRE | KF_RET_NULL")
    assert KF.ACQUIRE in ok.flags
    doc = Kfunc.declare("void *bpf_obj_new(u32 local_type_id__k, ...)",
                        "KF_ACQUIRE | KF_RET_NULL", profile="doc")
    assert doc.ret.is_void_pointer


@pytest.mark.parametrize(("text", "where", "message"), [
    ("foo_t bpf_f(int x)", ":1:1:", "unknown type name 'foo_t'"),
    ("int bpf_f(int x", ":1:16:", "expected ',' or ')' in the parameter list, found end of input"),
    ("int bpf_f(int x) junk", ":1:18:", "expected ';' or a body"),
    ("int bpf_f(int x) { if (x) {", ":1:18:", "'{' is never closed; expected '}'"),
])
def test_declare_syntax_errors(text: str, where: str, message: str) -> None:
    with pytest.raises(ParseError) as e:
        Kfunc.declare(text)
    assert where in str(e.value) and message in str(e.value)


def test_kfuncs_stays_free_of_plotting_imports() -> None:
    code = ("import sys, kfunclab.kfuncs; kfunclab.kfuncs.load_catalog('linux-6.18'); "
            "print(any(m.split('.')[0] in ('matplotlib', 'ipywidgets') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
