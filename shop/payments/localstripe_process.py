"""Start and stop localstripe as a separate process (the demo, the contract tests), and point its webhooks at us.

localstripe is a test stand-in for Stripe's API (PaymentIntents, 3-D Secure, declines, refunds, signed
webhooks, a stand-in Stripe.js); see docs/architecture.md for what it lacks (Connect, iDEAL). It runs from
our `localstripe_server.py` so its state file is private to the instance.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVER_SCRIPT = Path(__file__).with_name("localstripe_server.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStripe:
    """One localstripe process. `start()` waits until it answers; raises `RuntimeError` when it cannot."""

    def __init__(self, *, port: int | None = None, python: str | None = None, log_path: str | None = None):
        self.port = port or free_port()
        self.python = python or sys.executable
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        handle, self.state_file = tempfile.mkstemp(prefix="localstripe-", suffix=".pickle")
        os.close(handle)
        self.log_path = log_path or self.state_file.replace(".pickle", ".log")

    def start(self, *, timeout: float = 15.0) -> LocalStripe:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    self.python,
                    str(SERVER_SCRIPT),
                    "--port",
                    str(self.port),
                    "--from-scratch",
                    "--state-file",
                    self.state_file,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"localstripe exited with {self.process.returncode}; see {self.log_path}")
            try:
                self._request("GET", "/v1/balance", auth=True)
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"localstripe did not answer on port {self.port} within {timeout:.0f} s")

    def _request(self, method: str, path: str, *, data: dict | None = None, auth: bool = False):
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", "Bearer sk_test_localstripe")
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read()

    def configure_webhook(self, *, url: str, secret: str, name: str = "agora", events: list[str] | None = None) -> None:
        """Have localstripe POST its events (signed with `secret`) to `url`."""
        data: dict = {"url": url, "secret": secret}
        if events is not None:
            data["events"] = events
        self._request("POST", f"/_config/webhooks/{name}", data=data)

    def authenticate(self, intent_id: str, client_secret: str, *, success: bool = True) -> dict:
        """3-D Secure, as the stand-in Stripe.js does it: complete (or fail) the challenge."""
        path = f"/v1/payment_intents/{intent_id}/_authenticate?success={'true' if success else 'false'}"
        return json.loads(self._request("POST", path, data={"client_secret": client_secret}, auth=True))

    def reset(self) -> None:
        self._request("DELETE", "/_config/data")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        Path(self.state_file).unlink(missing_ok=True)
        Path(self.log_path).unlink(missing_ok=True)
