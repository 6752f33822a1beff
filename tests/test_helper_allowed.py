"""``fn->allowed(prog)`` of the three prototypes that carry one (helper_allowed.py).

The answers depend on the attach target: checked here directly, since this machine's kernel
refuses trampoline programs (fentry, lsm) before verifying them; the syscall case is a rule
program (helpers/d_path_in_syscall.s) asked live.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kfunclab.progtypes import program_type
from kfunclab.verifier.env import Reject
from kfunclab.verifier.helper_allowed import NOT_ALLOWED, check_allowed, check_get_func_ip


def _env(section: str) -> SimpleNamespace:
    return SimpleNamespace(prog_type=program_type(section))


@pytest.mark.parametrize(("allowed", "section", "ok"), [
    ("bpf_d_path_allowed", "fentry/vfs_truncate", True),      # on btf_allowlist_d_path
    ("bpf_d_path_allowed", "fentry/do_nanosleep", False),
    ("bpf_d_path_allowed", "iter/task", True),                # iterators always
    ("bpf_d_path_allowed", "lsm/file_open", True),            # a sleepable LSM hook
    ("bpf_d_path_allowed", "lsm/socket_sock_rcv_skb", False),
    ("bpf_d_path_allowed", "syscall", False),
    ("bpf_ima_inode_hash_allowed", "lsm/bpf", True),
    ("bpf_ima_inode_hash_allowed", "lsm/socket_sock_rcv_skb", False),
    ("bpf_sk_storage_tracing_allowed", "tp_btf/sys_enter", True),
    ("bpf_sk_storage_tracing_allowed", "fentry/do_nanosleep", True),
    ("bpf_sk_storage_tracing_allowed", "fentry/bpf_sk_storage_free", False),
    ("bpf_sk_storage_tracing_allowed", "fmod_ret/do_nanosleep", False),
])
def test_allowed(allowed: str, section: str, ok: bool) -> None:
    env = _env(section)
    if ok:
        check_allowed(env, allowed, "helper", 0)  # type: ignore[arg-type]
    else:
        with pytest.raises(Reject, match=NOT_ALLOWED):
            check_allowed(env, allowed, "helper", 0)  # type: ignore[arg-type]


@pytest.mark.parametrize(("section", "error"), [
    ("kprobe/do_nanosleep", None),
    ("fentry/do_nanosleep", None),
    ("tp_btf/sys_enter", "supported only for fentry/fexit/fmod_ret programs"),
    ("lsm/file_open", "not supported for program type 29"),
])
def test_get_func_ip(section: str, error: str | None) -> None:
    env = _env(section)
    if error is None:
        check_get_func_ip(env)  # type: ignore[arg-type]
    else:
        with pytest.raises(Reject, match=error):
            check_get_func_ip(env)  # type: ignore[arg-type]
