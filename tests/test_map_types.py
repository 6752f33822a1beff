"""Map types: check_map_func_compatibility() both ways, and what a socket map's lookup gives.

The live kernel answers for cgroup storage and the compatibility refusals are pinned in
tests/verifier/programs/maptypes. A sockmap, sockhash or xskmap cannot be created from a
program file (the kernel refuses BTF key/value types for them, ENOTSUPP), so their lookups are
checked here against what the kernel answers for the selftests (verifier_sock.c:
map_lookup_elem_sockmap_key and map_lookup_elem_sockhash_key leak the socket).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kfunclab.progtypes import AttachType, ProgType
from kfunclab.verifier import verify_text
from kfunclab.verifier.env import Reject
from kfunclab.verifier.map_types import (
    check_map_func_compatibility,
    funcs_for_map,
    map_func_compatible,
)


def _env(prog_type: ProgType, attach: AttachType | None = None) -> SimpleNamespace:
    return SimpleNamespace(prog_type=SimpleNamespace(prog_type=prog_type,
                                                     expected_attach_type=attach))


@pytest.mark.parametrize(("map_type", "func", "ok"), [
    ("hash", "map_lookup_elem", True),
    ("lpm_trie", "map_lookup_elem", True),
    ("sk_storage", "map_lookup_elem", False),
    ("sk_storage", "sk_storage_get", True),
    ("hash", "sk_storage_get", False),
    ("queue", "map_lookup_elem", False),
    ("queue", "map_pop_elem", True),
    ("bloom_filter", "map_pop_elem", False),
    ("stack_trace", "get_stackid", True),
    ("cpumap", "map_lookup_elem", False),
    ("devmap", "map_lookup_elem", True),
    ("percpu_array", "map_lookup_percpu_elem", True),
    ("array", "map_lookup_percpu_elem", False),
    ("sockmap", "map_lookup_elem", True),
    ("sockmap", "map_update_elem", True),  # from tc: may_update_sockmap()
])
def test_map_func_compatibility(map_type: str, func: str, ok: bool) -> None:
    assert map_func_compatible(_env(ProgType.SCHED_CLS), map_type, func) is ok


def test_sockmap_updates_depend_on_the_program_type() -> None:
    assert not map_func_compatible(_env(ProgType.SOCK_OPS), "sockmap", "map_update_elem")
    assert map_func_compatible(_env(ProgType.SOCK_OPS), "sockhash", "map_delete_elem")
    assert map_func_compatible(_env(ProgType.TRACING, AttachType.TRACE_ITER), "sockmap",
                               "map_update_elem")
    assert not map_func_compatible(_env(ProgType.KPROBE), "sockhash", "map_delete_elem")


def test_the_refusal_names_the_map_type_number_and_helper() -> None:
    with pytest.raises(Reject, match=r"^cannot pass map_type 9 into func bpf_map_pop_elem#88$"):
        check_map_func_compatibility(_env(ProgType.XDP), "lru_hash", "map_pop_elem")
    assert funcs_for_map("hash") is None


_SOCKMAP_LOOKUP = """# SEC("tc")
# MAP: socks {kind} key=u32 value=u64 max_entries=1
# a lookup in a socket map
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = socks ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = r0
out:
	r0 = 0
	exit
"""


@pytest.mark.parametrize("kind", ["sockmap", "sockhash"])
def test_a_socket_map_lookup_takes_a_reference(kind: str) -> None:
    result = verify_text(_SOCKMAP_LOOKUP.format(kind=kind), btf="bundled")
    assert result.verdict.value == "reject"
    assert result.error.message == "BPF_EXIT instruction in main prog would lead to reference leak"


def test_a_socket_map_lookup_is_a_socket_once_checked() -> None:
    text = _SOCKMAP_LOOKUP.format(kind="sockmap").replace("r1 = r0\n", "r1 = *(u32 *)(r0 - 8)\n")
    result = verify_text(text, btf="bundled")
    # the pointer is a sock now (its fields are bpf_sock's), no longer a map value
    assert result.error.message != "R0 min value is outside of the allowed memory range"
    assert "'sock'" in result.error.message or "sock access" in result.error.message
