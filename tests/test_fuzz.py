"""Fuzzing in the default test run (issue 14): a small, fixed-seed hypothesis budget per target,
and every input a campaign (scripts/fuzz.py) ever found, kept in tests/fuzz_corpus/.

The long campaign: ``python scripts/fuzz.py --minutes 10`` (docs/fuzzing.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzkit import TARGETS, check_btf_blob, check_c_text, check_json_text, check_program
from hypothesis import HealthCheck, given, settings

SMALL = settings(derandomize=True, database=None, deadline=None, max_examples=60,
                 suppress_health_check=list(HealthCheck))
CORPUS = Path(__file__).parent / "fuzz_corpus"


@SMALL
@given(TARGETS["prog"][0])
def test_programs_get_a_verdict_or_an_error(text: str) -> None:
    check_program(text)


@SMALL
@given(TARGETS["c"][0])
def test_c_declarations_get_a_declaration_or_an_error(text: str) -> None:
    check_c_text(text)


@SMALL
@given(TARGETS["json"][0])
def test_json_catalogues_load_or_name_the_field(text: str) -> None:
    check_json_text(text)


@SMALL
@given(TARGETS["btf"][0])
def test_btf_blobs_read_or_raise_btf_error(blob: bytes) -> None:
    check_btf_blob(blob)


_CHECKS = {".s": lambda p: check_program(p.read_bytes().decode("utf-8", "surrogateescape")),
           ".h": lambda p: check_c_text(p.read_bytes().decode("utf-8", "surrogateescape")),
           ".json": lambda p: check_json_text(p.read_bytes().decode("utf-8", "surrogateescape")),
           ".btf": lambda p: check_btf_blob(p.read_bytes())}


@pytest.mark.parametrize("path", sorted(p for p in CORPUS.iterdir() if p.suffix in _CHECKS),
                         ids=lambda p: p.name)
def test_corpus_input_is_answered(path: Path) -> None:
    _CHECKS[path.suffix](path)
