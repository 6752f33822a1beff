"""Context access per program type against the running kernel, offset by offset.

For each program type whose context layout kfunclab models (kfunclab.verifier.ctx_sock /
ctx_skb / context), a load or store of every size at every aligned offset of the context (and
the bytes around it) is handed to the kernel and to kfunclab; verdict and message must agree.
A load is followed by a one-byte load through the result, so the message also tells which
register type the field gave (``R2 invalid mem access 'sock_or_null'``, ``'scalar'`` ...).
(The whole sweep over every program type was run while writing these modules; this test keeps
a sample of it.) Offline, the rule programs in tests/verifier/programs/ctx pin the same rules.
"""

from __future__ import annotations

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify

_SIZES = {1: "u8", 2: "u16", 4: "u32", 8: "u64"}
#: section -> bytes of its context struct
SECTIONS = {
    "sockops": 224, "cgroup/post_bind6": 80, "cgroup/connect4": 72, "cgroup/getsockopt": 40,
    "sk_msg": 80, "sk_lookup": 72, "sk_reuseport": 56, "cgroup/sysctl": 8, "cgroup/dev": 12,
    "perf_event": 184, "raw_tp/sys_enter": 96, "tc": 192,
}
#: register types whose fields kfunclab does not read yet: their load is compared, not the use
_NOT_DEREFERENCED = ("R2 invalid sock access",)


def _probe(section: str, off: int, size: int, write: bool) -> str:
    body = (["r2 = 0", f"*({_SIZES[size]} *)(r1 + {off}) = r2"] if write
            else [f"r2 = *({_SIZES[size]} *)(r1 + {off})", "r3 = *(u8 *)(r2 + 0)"])
    return "\n".join([f'# SEC("{section}")', "# probe", *body, "r0 = 1", "exit"]) + "\n"


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_context_access_matches_the_kernel(section: str, live_profile: object) -> None:
    from kfunclab.kernel import kernel_verdict

    ok, why = kernel_available()
    if not ok:
        pytest.skip(why)
    wrong = []
    for write in (False, True):
        for size in _SIZES if not write else (4, 8):  # a narrow store is never allowed
            for off in range(-size, SECTIONS[section] + 8, size):
                if size < 4 and off % 4 not in (0, 4 - size):  # the first and last bytes
                    continue
                program = parse_program(_probe(section, off, size, write))
                kernel = kernel_verdict(program, log_level=1)
                ours = verify(program, btf="live", profile="live")
                message = ours.error.message if ours.error else None
                if kernel.error and kernel.error.startswith(_NOT_DEREFERENCED):
                    continue
                if (kernel.verdict, kernel.error) != (ours.verdict.value, message):
                    wrong.append(f"{'store' if write else 'load'} off={off} size={size}: "
                                 f"kernel {kernel.verdict} {kernel.error!r}, "
                                 f"kfunclab {ours.verdict.value} {message!r}")
    assert not wrong, "\n".join(wrong[:20])
