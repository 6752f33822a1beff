"""kfunc flags, with the kernel's bit values (``include/linux/btf.h``).

A kfunc's flags live in the ID set that registers it (``BTF_ID_FLAGS(func, name, FLAGS)``), not in
the function itself: the same function could be registered with different flags by two sets.
Bit 3 is ``KF_KPTR_GET``, which existed until 6.4; whether a flag may be *used* depends on the
kernel profile (:mod:`kfunclab.kfuncs.profiles`), not on this enum.

>>> parse_flags("KF_ACQUIRE | KF_RET_NULL")
<KF.ACQUIRE|RET_NULL: 5>
>>> format_flags(KF.ACQUIRE | KF.RCU | KF.RET_NULL)
'KF_ACQUIRE | KF_RET_NULL | KF_RCU'
"""

from __future__ import annotations

import enum

from kfunclab.errors import DeclarationError


class KF(enum.IntFlag):
    """One bit per kfunc flag; member ``X`` is the kernel's ``KF_X``."""

    ACQUIRE = 1 << 0  # returns a referenced pointer the program must release
    RELEASE = 1 << 1  # releases the one referenced pointer passed to it
    RET_NULL = 1 << 2  # the returned pointer may be NULL: the program must check it
    KPTR_GET = 1 << 3  # 6.2/6.3 only: takes a pointer to a kptr, returns a new reference
    TRUSTED_ARGS = 1 << 4  # every pointer argument must be trusted (gone in 7.0: the default)
    SLEEPABLE = 1 << 5  # may sleep: callable from sleepable programs only
    DESTRUCTIVE = 1 << 6  # may crash or reboot the machine: needs CAP_SYS_BOOT
    RCU = 1 << 7  # pointer arguments may be RCU-protected instead of trusted
    ITER_NEW = 1 << 8  # iterator constructor
    ITER_NEXT = 1 << 9  # iterator next method
    ITER_DESTROY = 1 << 10  # iterator destructor
    RCU_PROTECTED = 1 << 11  # must be called inside an RCU critical section (enforced 6.18)
    FASTCALL = 1 << 12  # supports the bpf_fastcall calling convention (6.13)

    @property
    def kernel_name(self) -> str:
        """``KF_ACQUIRE`` for a single flag."""
        return f"KF_{self.name}"

    def __and__(self, other: object) -> KF:
        """``flags & KF.X`` as IntFlag computes it, minus the enum machinery when the result
        is a value seen before (the verifier tests flags this way at every kfunc call)."""
        member = self._value2member_map_.get(int.__and__(self, other))  # type: ignore[arg-type]
        return member if member is not None else enum.IntFlag.__and__(self, other)

    __rand__ = __and__


#: Flags in the order ``include/linux/btf.h`` defines them.
ALL_FLAGS: tuple[KF, ...] = tuple(KF)

def flag_by_name(name: str) -> KF | None:
    """The flag called ``KF_X`` (or ``X``), else None.

    >>> flag_by_name("KF_RCU")
    <KF.RCU: 128>
    """
    bare = name[3:] if name.startswith("KF_") else name
    return KF.__members__.get(bare)


def parse_flags(text: str, where: str = "flags") -> KF:
    """Parse a C flag expression such as ``KF_ACQUIRE | KF_RET_NULL`` (or ``0`` / empty).

    ``where`` names the declaration for the error message. Which flags a kernel profile accepts is
    checked elsewhere; this only knows every flag that ever existed.

    >>> parse_flags("0")
    <KF: 0>
    >>> parse_flags("KF_SLEEPABLE|KF_DESTRUCTIVE")
    <KF.SLEEPABLE|DESTRUCTIVE: 96>
    """
    if not isinstance(text, str):
        raise DeclarationError(where, f"flags are {type(text).__name__}; expected a string "
                                      "such as 'KF_ACQUIRE | KF_RET_NULL'")
    text = text.strip()
    result = KF(0)
    if not text:
        return result
    for part in text.split("|"):
        word = part.strip()
        if not word:
            raise DeclarationError(where, f"empty term in flag expression '{text}'; "
                                          "expected KF_A | KF_B")
        if word == "0":
            continue
        flag = flag_by_name(word) if word.startswith("KF_") else None
        if flag is None:
            known = ", ".join(f.kernel_name for f in ALL_FLAGS)
            raise DeclarationError(where, f"unknown kfunc flag '{word}'; expected one of {known}")
        result |= flag
    return result


def format_flags(flags: KF) -> str:
    """The flags as the kernel writes them (``KF_ACQUIRE | KF_RET_NULL``), ``0`` for none."""
    names = [f.kernel_name for f in ALL_FLAGS if f in flags]
    return " | ".join(names) if names else "0"
