"""Session-wide test set-up: a private cache for the probed ``live`` profile.

Tests that compare kfunclab with the running kernel verify under the ``live`` profile, which
``kfunclab probe`` makes from the kernel's answers (about 2 s). The session probes once, into a
temporary cache, so a test run never reads or writes the user's own cache.
"""

from __future__ import annotations

import os
import tempfile

import pytest

from kfunclab.kernel import kernel_available


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("KFUNCLAB_CACHE", tempfile.mkdtemp(prefix="kfunclab-cache-"))


@pytest.fixture(scope="session")
def live_profile():
    """The running kernel's probed profile (skips, with the reason, where it cannot be asked)."""
    ok, why = kernel_available()
    if not ok:
        pytest.skip(why)
    from kfunclab.kernel.probe import ensure_live_profile
    from kfunclab.kfuncs.live import load_live_profile

    return load_live_profile(ensure_live_profile())
