"""What a probed kernel build refuses to load at all, whatever the program says.

The ``live`` profile carries the answers of :mod:`kfunclab.kernel.probe_loads`: the program
types and iterator targets whose smallest program (``r0 = 0; exit``) the running kernel refused,
with the errno and the log form. The named profiles (``linux-6.18`` ...) carry none: upstream
source loads them all. :func:`probed_refusal` says which refusal, if any, a program meets;
``verify()`` answers it where the kernel would: an ``empty`` refusal before anything (the kernel
refused in ``bpf_prog_load()``, e.g. a program type left out of the build), a ``silent`` one
in ``check_attach_btf_id()`` (after the static checks, without a message).

>>> from kfunclab.kfuncs import get_profile
>>> from kfunclab.progtypes import program_type
>>> refusal_key(program_type("iter/bpf_map_elem")), refusal_key(program_type("xdp"))
('iter/bpf_map_elem', 'BPF_PROG_TYPE_XDP')
>>> probed_refusal(get_profile("linux-6.18"), program_type("lirc_mode2")) is None
True
"""

from __future__ import annotations

from kfunclab.kfuncs.profiles import Profile
from kfunclab.progtypes import AttachType, ProgramType


def refusal_key(ptype: ProgramType) -> str:
    """The probe's key for ``ptype``: ``iter/TARGET`` for an iterator, else the program type's
    ``BPF_PROG_TYPE_*`` name."""
    if ptype.expected_attach_type is AttachType.TRACE_ITER and ptype.attach_target:
        return f"iter/{ptype.attach_target}"
    return ptype.prog_type.kernel_name


def probed_refusal(profile: Profile, ptype: ProgramType) -> tuple[int, str] | None:
    """(errno, ``empty`` or ``silent``) of the probed kernel's refusal of every program of
    ``ptype``'s type (or iterator target), or None."""
    return profile.load_refusal(ptype.prog_type.kernel_name) \
        or profile.load_refusal(refusal_key(ptype))
