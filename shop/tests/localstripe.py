"""Fixtures: localstripe as a separate process on a free port (one per test worker), and a webhook receiver.

Import the fixtures into a test module (`from .localstripe import localstripe_server, …  # noqa: F401`).
When localstripe cannot start, the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shop.payments.localstripe_process import LocalStripe
from shop.payments.stripe_gateway import StripeGateway

WEBHOOK_SECRET = "whsec_contract_tests"


class WebhookReceiver:
    """A tiny HTTP server that keeps what localstripe POSTs: (raw body, Stripe-Signature header)."""

    def __init__(self):
        self.deliveries: list[tuple[bytes, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.deliveries.append((body, self.headers.get("Stripe-Signature", "")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, predicate, *, timeout: float = 10.0) -> tuple[bytes, str]:
        """The first delivery whose body satisfies `predicate` (localstripe sends about 1 s after the call)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body, signature in list(self.deliveries):
                if predicate(body):
                    return body, signature
            time.sleep(0.05)
        raise AssertionError(f"no matching webhook within {timeout} s; got {len(self.deliveries)}")

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def localstripe_server():
    server = LocalStripe()
    try:
        server.start()
    except (RuntimeError, OSError) as error:
        pytest.skip(f"localstripe cannot start here: {error}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def webhook_receiver(localstripe_server):
    receiver = WebhookReceiver()
    localstripe_server.configure_webhook(url=receiver.url, secret=WEBHOOK_SECRET, name="contract")
    yield receiver
    receiver.stop()


@pytest.fixture
def stripe_gateway(localstripe_server):
    """The real StripeGateway on localstripe (no Connect there)."""
    return StripeGateway(
        secret_key="sk_test_contract",
        webhook_secret=WEBHOOK_SECRET,
        api_base=localstripe_server.base_url,
        connect=False,
    )
