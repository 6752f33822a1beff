"""The rule modules live by family under kfunclab.verifier.rules; the old paths re-export."""

from __future__ import annotations

import importlib

import pytest

MOVED = {"kfunc_calls": "kfuncs", "kfunc_args": "kfunc_args", "memory": "memory",
         "kptrs": "kptrs", "helper_args": "helper_args"}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_re_exports_the_rule_modules_objects(old: str) -> None:
    shim = importlib.import_module(f"kfunclab.verifier.{old}")
    home = importlib.import_module(f"kfunclab.verifier.rules.{MOVED[old]}")
    assert shim.__all__, old
    for name in shim.__all__:
        assert getattr(shim, name) is getattr(home, name), name


def test_calls_re_exports_the_helper_rules() -> None:
    from kfunclab.verifier import calls
    from kfunclab.verifier.rules import helpers

    for name in ("check_helper_call", "model_helper_allowed", "modelled_helpers"):
        assert getattr(calls, name) is getattr(helpers, name), name
    assert helpers.model_helper_allowed.__module__ == "kfunclab.verifier.rules.helpers"


def test_kfunc_calls_dispatch_reaches_the_rules_module() -> None:
    from kfunclab.verifier import step
    from kfunclab.verifier.rules import kfuncs

    assert step.check_kfunc_call is kfuncs.check_kfunc_call
