#!/usr/bin/env python3
"""A long fuzzing campaign over kfunclab's public entry points (issue 14).

Runs the hypothesis strategies of tests/fuzzkit.py (program text, C declarations, JSON
catalogues, BTF blobs) with a random seed, round after round, until the time is up. An input
that raises anything but a ``KfunclabError``, returns a verdict outside {accept, reject,
unsupported}, leaves a ``{placeholder}`` unfilled, or takes longer than 20 s is shrunk by
hypothesis and written to tests/fuzz_corpus/ (``test_fuzz.py`` replays every file there).

    python scripts/fuzz.py --minutes 10            # all targets, round-robin
    python scripts/fuzz.py --minutes 2 --target prog

Prints one JSON line per round and a summary: examples run, crashes and hangs found.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fuzzkit import TARGETS, Hang  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

CORPUS = ROOT / "tests" / "fuzz_corpus"


def _save(target: str, value: str | bytes) -> Path:
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    ext = TARGETS[target][2]
    path = CORPUS / f"{target}-{hashlib.sha256(data).hexdigest()[:12]}{ext}"
    CORPUS.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run_round(target: str, examples: int, seed: int) -> dict:
    """``examples`` inputs of ``target``; on a failure, the shrunk input is saved."""
    strategy, check, _ext = TARGETS[target]
    count = [0]
    last: list = [None]

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(strategy)
    def one(value: object) -> None:
        count[0] += 1
        try:
            check(value)
        except BaseException:
            last[0] = value  # hypothesis replays the shrunk failing input last
            raise

    one._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    outcome = {"target": target, "seed": seed, "crash": None, "hang": None}
    try:
        one()
    except Hang as exc:
        outcome["hang"] = f"{_save(target, last[0])}: {exc}"
    except Exception as exc:  # the oracle failed: keep the (shrunk) input
        outcome["crash"] = f"{_save(target, last[0])}: {type(exc).__name__}: {exc}"[:500]
    outcome["examples"] = count[0]
    return outcome


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--target", choices=sorted(TARGETS), action="append",
                    help="a target (repeatable); default: all")
    ap.add_argument("--round", type=int, default=300, help="examples per round")
    args = ap.parse_args(argv)
    targets = args.target or list(TARGETS)
    end = time.monotonic() + args.minutes * 60
    totals = {t: {"examples": 0, "crashes": 0, "hangs": 0} for t in targets}
    seed = int(time.time())
    rounds = 0
    while time.monotonic() < end:
        target = targets[rounds % len(targets)]
        outcome = run_round(target, args.round, seed + rounds)
        rounds += 1
        totals[target]["examples"] += outcome["examples"]
        totals[target]["crashes"] += outcome["crash"] is not None
        totals[target]["hangs"] += outcome["hang"] is not None
        print(json.dumps(outcome), flush=True)
    print(json.dumps({"summary": totals, "rounds": rounds, "minutes": args.minutes}))
    return 1 if any(t["crashes"] or t["hangs"] for t in totals.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
