"""Checks on a kfunc declaration: what the kernel (or the chosen profile) would refuse.

The kernel checks some of this when a set is registered (``btf_check_kfunc_protos()``,
``btf_check_iter_kfuncs()`` in ``kernel/bpf/btf.c``) and the rest when a program calls the kfunc
(``check_kfunc_args()``, ``check_kfunc_call()`` in ``kernel/bpf/verifier.c``): a declaration that
fails here can never be called successfully, so kfunclab refuses it up front. Each message names
the declaration, says what was expected and quotes the kernel's words where it has them.

>>> from kfunclab.kfuncs.decl import Kfunc
>>> Kfunc.declare("void bpf_zero(void *mem, int len)")
Traceback (most recent call last):
...
kfunclab.errors.DeclarationError: bpf_zero: arg#0 'mem' is a void * without a size: ...
"""

from __future__ import annotations

from collections.abc import Callable

from kfunclab.ctype import CType, Kind
from kfunclab.errors import DeclarationError
from kfunclab.kfuncs.annotations import (
    ALL_ANNOTATIONS,
    Annotation,
    annotation_of,
    strip_annotation,
)
from kfunclab.kfuncs.decl import Kfunc, Param
from kfunclab.kfuncs.flags import KF
from kfunclab.kfuncs.profiles import DEFAULT_PROFILE, Profile

_ITER_FLAGS = KF.ITER_NEW | KF.ITER_NEXT | KF.ITER_DESTROY
_ITER_PREFIX = "bpf_iter_"
#: void * arguments the verifier does not need a size for.
_VOID_OK = {Annotation.IGNORE, Annotation.ALLOC, Annotation.REFCOUNTED_KPTR, Annotation.MAP,
            Annotation.PROG}


def validate_kfunc(kfunc: Kfunc, profile: Profile = DEFAULT_PROFILE,
                   flags: KF | None = None) -> None:
    """Raise DeclarationError if ``kfunc`` (with ``flags``, default its own) is refused.

    >>> from kfunclab.kfuncs.decl import Kfunc
    >>> k = Kfunc.declare("void bpf_put_pid(struct pid *pid)")
    >>> from kfunclab.kfuncs.profiles import LINUX_6_18
    >>> validate_kfunc(k, LINUX_6_18, KF.RELEASE)
    """
    prof = profile
    kf = kfunc.flags if flags is None else KF(flags)
    for check in _CHECKS:
        check(kfunc, kf, prof)


def _fail(kfunc: Kfunc, message: str) -> DeclarationError:
    return DeclarationError(kfunc.name, message)


def _arg(i: int, p: Param) -> str:
    return f"arg#{i} '{p.name}'" if p.name else f"arg#{i}"


def _spell(t: CType) -> str:
    return t.spelling().rstrip()


def _unknown_suffix_hint(p: Param, prof: Profile) -> str:
    """' (__nullable is not an annotation in doc)' when the name has a suffix prof lacks."""
    later = annotation_of(p.name, ALL_ANNOTATIONS)
    if p.annotation is Annotation.NONE and later is not Annotation.NONE:
        return (f" ('{later.value}' is not an annotation in {prof.name}: the kernel reads "
                f"'{p.name}' as a plain name)")
    return ""


# --- flags ------------------------------------------------------------------------------------

def _check_flags_exist(kfunc: Kfunc, kf: KF, prof: Profile) -> None:
    for flag in KF:
        if flag in kf and flag not in prof.flags:
            note = prof.flag_note(flag) or f"{flag.kernel_name} does not exist there"
            raise _fail(kfunc, f"{flag.kernel_name} is not a flag of {prof.name}: {note}")


def _check_acquire(kfunc: Kfunc, kf: KF, prof: Profile) -> None:
    if KF.ACQUIRE not in kf or kfunc.ret.pointee_struct or kfunc.name in prof.acquire_ret_exempt:
        return
    raise _fail(kfunc, f"KF_ACQUIRE needs a function returning a struct pointer, but it returns "
                       f"{_spell(kfunc.ret)}; expected e.g. struct task_struct * (the verifier "
                       "says \"acquire kernel function does not return PTR_TO_BTF_ID\"; only "
                       f"{', '.join(prof.acquire_ret_exempt)} are exempt)")


def _check_release(kfunc: Kfunc, kf: KF, prof: Profile) -> None:
    if KF.RELEASE in kf and not any(p.ctype.is_pointer for p in kfunc.params):
        raise _fail(kfunc, "KF_RELEASE releases the referenced pointer passed to it, but it "
                           "takes no pointer argument; expected e.g. (struct task_struct *p) "
                           "(the verifier says \"release kernel function "
                           f"{kfunc.name} expects refcounted PTR_TO_BTF_ID\")")


def _check_kptr_get(kfunc: Kfunc, kf: KF, prof: Profile) -> None:
    if KF.KPTR_GET not in kf:
        return
    missing = [f.kernel_name for f in (KF.ACQUIRE, KF.RET_NULL) if f not in kf]
    if missing:
        raise _fail(kfunc, "KF_KPTR_GET should be used in conjunction with KF_ACQUIRE and "
                           f"KF_RET_NULL (kfuncs.rst 2.4.4); missing {' and '.join(missing)}")
    first = kfunc.params[0].ctype if kfunc.params else None
    if not (first and first.is_pointer and first.target and first.target.pointee_struct):
        got = _spell(first) if first else "no argument"
        raise _fail(kfunc, "KF_KPTR_GET takes a pointer to a kptr as its first argument; "
                           f"expected struct X **, found {got}")


def _check_iter(kfunc: Kfunc, kf: KF, prof: Profile) -> None:
    """btf_check_iter_kfuncs(): registration fails (-EINVAL) unless all of this holds."""
    it = kf & _ITER_FLAGS
    if not it:
        return
    if KF.ACQUIRE in kf and KF.ITER_NEW in kf:
        raise _fail(kfunc, "KF_ITER_NEW with KF_ACQUIRE: an iterator constructor takes its "
                           "reference on the iterator's stack slot, not through its return "
                           "value; expected KF_ITER_NEW alone")
    if it & (it - 1):
        raise _fail(kfunc, "more than one of KF_ITER_NEW, KF_ITER_NEXT, KF_ITER_DESTROY; expected "
                           "exactly one (btf_check_iter_kfuncs)")
    first = kfunc.params[0].ctype if kfunc.params else None
    struct = first.pointee_struct if first else None
    if not struct or not struct.startswith(_ITER_PREFIX):
        got = _spell(first) if first else "no argument"
        raise _fail(kfunc, "an iterator kfunc takes struct bpf_iter_<type> * as its first "
                           f"argument; found {got} (btf_check_iter_kfuncs)")
    size = first.target.size if first and first.target else 0
    if size % 8:
        raise _fail(kfunc, f"struct {struct} is {size} bytes; an iterator must be a multiple of "
                           "8 bytes to fill whole stack slots")
    suffix = {KF.ITER_NEW: "new", KF.ITER_NEXT: "next", KF.ITER_DESTROY: "destroy"}[KF(it)]
    expected = f"{struct}_{suffix}"
    if kfunc.name != expected:
        raise _fail(kfunc, f"iterator kfuncs are named bpf_iter_<type>_{suffix}; expected "
                           f"{expected} for struct {struct} (btf_check_iter_kfuncs)")
    if KF.ITER_NEW not in kf and len(kfunc.params) != 1:
        raise _fail(kfunc, f"only the constructor may take arguments besides the iterator; "
                           f"expected {expected}(struct {struct} *it)")
    if KF.ITER_NEXT in kf and not kfunc.ret.is_pointer:
        raise _fail(kfunc, f"{expected} must return a pointer (NULL ends the iteration); found "
                           f"{_spell(kfunc.ret)}")
    if KF.ITER_DESTROY in kf and kfunc.ret.kind is not Kind.VOID:
        raise _fail(kfunc, f"{expected} must return void; found {_spell(kfunc.ret)}")


def _check_sleepable_rcu_protected(kfunc: Kfunc, kf: KF, prof: Profile) -> None:
    if prof.rcu_protected_enforced and KF.SLEEPABLE in kf and KF.RCU_PROTECTED in kf:
        raise _fail(kfunc, "KF_SLEEPABLE with KF_RCU_PROTECTED can never be called: outside an "
                           "RCU section the verifier says \"requires RCU critical section "
                           "protection\", inside one \"is sleepable within rcu_read_lock "
                           "region\"; expected one of the two")


# --- shape and parameters ---------------------------------------------------------------------

def _check_shape(kfunc: Kfunc, kf: KF, prof: Profile) -> None:
    n = len(kfunc.params)
    if n > prof.max_args:
        raise _fail(kfunc, f"has {n} arguments; expected at most {prof.max_args} (R1-R5), the "
                           f"verifier says \"Function {kfunc.name} has {n} > {prof.max_args} "
                           "args\"")
    if kfunc.ret.kind in (Kind.STRUCT, Kind.UNION):
        raise _fail(kfunc, f"returns {_spell(kfunc.ret)} by value; expected void, a scalar or a "
                           "pointer")
    for i, p in enumerate(kfunc.params):
        if p.ctype.kind in (Kind.STRUCT, Kind.UNION, Kind.VOID, Kind.UNKNOWN):
            raise _fail(kfunc, f"{_arg(i, p)} is {_spell(p.ctype)}; expected a scalar or a "
                               f"pointer (the verifier says \"Unrecognized arg#{i} type "
                               f"{p.ctype.kernel_kind_name()}\")")


def _check_annotation_kinds(kfunc: Kfunc, kf: KF, prof: Profile) -> None:
    for i, p in enumerate(kfunc.params):
        ann, t = p.annotation, p.ctype
        if ann is Annotation.CONSTANT and not t.is_scalar:
            # check_kfunc_args() asks is_kfunc_arg_constant() only for scalars: on a pointer the
            # suffix is silently ignored, so this is kfunclab's lint, not a kernel refusal
            raise _fail(kfunc, f"{_arg(i, p)} is {_spell(t)}, but __k is only read on a scalar "
                               "argument (it says the value is a known constant); on a pointer "
                               "the kernel ignores it (a kfunclab lint, not a kernel check); "
                               "expected an integer type such as u32")
        if ann.wants_scalar and not t.is_scalar:
            what = "a size"
            raise _fail(kfunc, f"{_arg(i, p)} is {_spell(t)}, but {ann.value} is only understood "
                               f"on a scalar argument (it says the value is {what}); expected an "
                               "integer type such as u32")
        if ann.wants_pointer and not t.is_pointer:
            raise _fail(kfunc, f"{_arg(i, p)} is {_spell(t)}, but {ann.value} marks a pointer "
                               "argument; expected a pointer type")
        target = t.target if t.is_pointer else None
        if ann is Annotation.UNINIT and t.pointee_struct != "bpf_dynptr":
            raise _fail(kfunc, f"{_arg(i, p)}: __uninit is understood on a struct bpf_dynptr * "
                               f"(a dynptr the kfunc initialises); found {_spell(t)}")
        if ann is Annotation.CONST_STR and not (target and target.is_scalar and target.size == 1):
            raise _fail(kfunc, f"{_arg(i, p)}: __str marks a constant string; expected "
                               f"const char *, found {_spell(t)}")
        if ann is Annotation.IRQ_FLAG and not (target and target.is_scalar and target.size == 8):
            raise _fail(kfunc, f"{_arg(i, p)}: __irq_flag marks the saved IRQ flags; expected "
                               f"unsigned long *, found {_spell(t)}")
        if ann.is_size and (i == 0 or not kfunc.params[i - 1].ctype.is_pointer):
            raise _fail(kfunc, f"{_arg(i, p)} is a {ann.value} size, but the argument before it "
                               "is not a pointer; expected the buffer pointer right before its "
                               "size, as in (void *mem, int mem__sz)")


def _check_pointers(kfunc: Kfunc, kf: KF, prof: Profile) -> None:
    params = kfunc.params
    for i, p in enumerate(params):
        t = p.ctype
        if not t.is_pointer:
            continue
        sized = i + 1 < len(params) and params[i + 1].annotation.is_size
        if p.annotation is Annotation.OPTIONAL and not sized:
            raise _fail(kfunc, f"{_arg(i, p)}: __opt marks an optional sized buffer; expected "
                               f"the next argument to be its size ({p.base_name}__sz or "
                               f"{p.base_name}__szk)")
        if t.is_void_pointer and not sized and p.annotation not in _VOID_OK \
                and kfunc.name not in prof.ctx_arg_kfuncs:
            base = strip_annotation(p.name, annotation_of(p.name)) or "mem"
            raise _fail(kfunc, f"{_arg(i, p)} is a void * without a size: the verifier cannot "
                               "tell how much memory it points to (\"arg#"
                               f"{i} pointer type UNKNOWN  must point to scalar, or struct with "
                               f"scalar\": void prints as UNKNOWN with no name); expected the next "
                               "argument to be its size, named "
                               f"{base}__sz (or {base}__szk for a constant), or an annotation "
                               f"such as __ign{_unknown_suffix_hint(p, prof)}")
        target = t.target
        first_kptr = i == 0 and KF.KPTR_GET in kf
        if target is not None and target.is_pointer and target.target is not None \
                and target.target.kind is not Kind.FUNC and not sized and not first_kptr:
            raise _fail(kfunc, f"{_arg(i, p)} is {_spell(t)}, a pointer to a pointer; expected a "
                               "pointer to a scalar or a struct (only a KF_KPTR_GET kfunc's "
                               "first argument points to a kptr)")


def _check_unique(kfunc: Kfunc, kf: KF, prof: Profile) -> None:
    def names(pred: Callable[[Param], bool]) -> list[str]:
        return [p.name for p in kfunc.params if pred(p)]

    consts = names(lambda p: p.annotation is Annotation.CONSTANT)
    if len(consts) > 1:
        raise _fail(kfunc, f"has two __k arguments ({consts[0]!r} and {consts[1]!r}); the verifier "
                           "keeps one constant per call (meta->arg_constant), expected at most "
                           "one")
    bufs = names(lambda p: p.annotation in (Annotation.RDONLY_BUF_SIZE, Annotation.RDWR_BUF_SIZE))
    if len(bufs) > 1:
        raise _fail(kfunc, "has 2 or more rdonly/rdwr_buf_size parameters (the verifier says "
                           f"\"2 or more rdonly/rdwr_buf_size parameters for kfunc\"): {bufs}; "
                           "expected at most one")
    progs = names(lambda p: p.annotation is Annotation.PROG)
    if len(progs) > 1:
        raise _fail(kfunc, f"has two __prog arguments {progs}; expected one (\"Only 1 "
                           "prog->aux argument supported per-kfunc\")")


_CHECKS: tuple[Callable[[Kfunc, KF, Profile], None], ...] = (
    _check_flags_exist, _check_shape, _check_annotation_kinds, _check_unique, _check_pointers,
    _check_iter, _check_acquire, _check_release, _check_kptr_get, _check_sleepable_rcu_protected,
)
