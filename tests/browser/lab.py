"""A JupyterLab server of the tests' own: a free port, a random token, throw-away settings.

The server serves a temporary copy of the notebooks, so a run never writes to ``notebooks/``;
its config, runtime, data and settings directories are temporary too, so neither the user's
``~/.jupyter`` nor an earlier run changes what the learner's page looks like.

>>> free_port() > 0
True
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: settings every test page starts with (JupyterLab 4 overrides.json: plugin id -> settings)
OVERRIDES: dict[str, dict[str, Any]] = {
    # the "Would you like to get notified about official Jupyter news?" toast, and the
    # update check behind it: both would reach the network and cover the notebook
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

START_TIMEOUT = 90.0  # seconds for the server to answer /api/status (2 cores, cold caches)
STOP_TIMEOUT = 15.0  # seconds for SIGTERM before SIGKILL


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(probe: Callable[[], T | None], timeout: float, what: str,
               interval: float = 0.25) -> T:
    """Call ``probe`` until it returns something other than None; TimeoutError after
    ``timeout`` seconds, naming ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f}s for {what}")
        time.sleep(interval)


class LabServer:
    """``python -m jupyterlab`` serving ``root`` on 127.0.0.1; :meth:`stop` ends it and every
    kernel it started.

    ``log`` receives the server's output (read it when a test fails).
    """

    def __init__(self, root: Path, state: Path, log: Path) -> None:
        self.root = root
        self.state = state
        self.log_path = log
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, **query: str) -> str:
        """``path`` on the server, with the token (and ``query``) in its query string."""
        query = {**query, "token": self.token}
        return f"{self.base_url}/{path.lstrip('/')}?{urllib.parse.urlencode(query)}"

    def start(self) -> None:
        settings = self.state / "app-settings"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "overrides.json").write_text(json.dumps(OVERRIDES, indent=2))
        env = dict(os.environ)
        for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                         ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython")):
            (self.state / sub).mkdir(exist_ok=True)
            env[var] = str(self.state / sub)
        env.pop("JUPYTER_PATH", None)  # only the venv's own kernels and lab extensions
        env.pop("JUPYTER_CONFIG_PATH", None)
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # debugpy's frozen-modules note on stderr
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.app_settings_dir={settings}",
            f"--LabApp.user_settings_dir={self.state / 'user-settings'}",
            f"--LabApp.workspaces_dir={self.state / 'workspaces'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        with open(self.log_path, "wb") as log:
            # a session of its own: a fallback SIGKILL reaches the server and nothing else
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         cwd=self.root, start_new_session=True)
        try:
            wait_until(self._answers, START_TIMEOUT, f"JupyterLab on port {self.port}")
        except TimeoutError as exc:
            self.stop()
            raise RuntimeError(f"{exc}; its log ends:\n{self.log_tail()}") from None

    def _answers(self) -> bool | None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}; its log ends:\n"
                               f"{self.log_tail()}")
        try:
            self.api("GET", "api/status", timeout=2)
        except (OSError, urllib.error.URLError):
            return None
        return True

    def api(self, method: str, path: str, timeout: float = 10) -> Any:
        """The server's REST API (JSON in, JSON out; None for an empty answer)."""
        req = urllib.request.Request(f"{self.base_url}/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_session(self, notebook_path: str) -> None:
        """Shut down the kernel of ``notebook_path`` (relative to the root), if it has one."""
        for session in self.api("GET", "api/sessions"):
            if session.get("path") == notebook_path:
                self.api("DELETE", f"api/sessions/{session['id']}")

    def kernel_pids(self) -> list[int]:
        """Processes running a kernel this server started: their command line names a
        connection file in this server's own runtime directory."""
        runtime = str(self.state / "runtime")
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if runtime in cmdline and "kernel" in cmdline:
                pids.append(int(entry.name))
        return pids

    def stop(self) -> list[int]:
        """Terminate the server (it shuts its kernels down), then wait, then kill; returns
        the kernel processes that had to be killed (none when the shutdown was clean)."""
        if self.proc is None:
            return []
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT)
        self.proc = None
        # kernels poll their parent and exit soon after it; give them that moment
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: True if not self.kernel_pids() else None, 5, "kernels to exit")
        leftover = self.kernel_pids()
        for pid in leftover:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return leftover

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])
