#!/usr/bin/env python
"""The webshop under load, and django-oscar beside it in the same run: p50/p95 per step, and the ratio.

    .venv/bin/python bench/shop_pages.py [--merchants 200] [--products 10000] [--clients 20] [--seconds 30]
                                         [--workers 4] [--think 2] [--skip-oscar]

Agora: a fresh PostgreSQL database (AGORA_BENCH_DATABASE_URL, default …/agora_bench_shop), `migrate`, then
one area with `--merchants` selling merchants and `--products` products (one variant each, ample stock, twelve
categories) bulk-inserted; gunicorn (sync workers, DEBUG off, the fake payment gateway so that the checkout is
measured without the Stripe round trip).

The peer: django-oscar 4.2 set up as its docs' "Building your own shop" says (bench/peers/oscar/), in its own
virtualenv (bench/.oscar-venv, installed from bench/peers/oscar/requirements.lock with hashes), with the same
catalogue (partners = merchants), its own database (OSCAR_BENCH_DATABASE_URL, default …/agora_bench_oscar) and
gunicorn with the same number of workers. The two are measured one after the other, never at once.

Each of `--clients` shoppers (one thread each, closed loop, its own cookies) repeats: a category page, a product
page, add to cart; every fourth round it checks out (Agora: the checkout form's POST that places the order and
reserves stock; Oscar: the preview's "place order" POST after its address and method steps, which are not
timed). `--think S` makes each shopper pause about S seconds (±50 %) between pages, as people do (0, the default:
back to back, a closed loop that measures the queue in front of the workers as much as the pages). Prints
p50/p95 per step for both, and as the last line one JSON object with our figures, the targets and the ratios
(ours ÷ Oscar's p95: below 1 is faster).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import venv
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from till_award import recreate_database, start_gunicorn  # the same fresh database and server

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers" / "oscar"))
from catalogue import CATEGORIES

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT / "bench" / "peers" / "oscar"
OSCAR_VENV = ROOT / "bench" / ".oscar-venv"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/agora_bench_shop"
DEFAULT_OSCAR_URL = "postgres://postgres@127.0.0.1:5432/agora_bench_oscar"
TARGETS_MS = {"catalogue": 100, "product": 100, "add_to_cart": 50, "checkout": 150}
STEPS = ("catalogue", "product", "add_to_cart", "checkout")


class Browser:
    """Cookies, CSRF token and redirects, over one keep-alive connection per shopper."""

    def __init__(self, port: int, host: str = ""):
        self.port, self.host = port, host or f"localhost:{port}"
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None):
        body = urlencode(data, doseq=True) if data is not None else None
        sent = {"Host": self.host, "Accept-Language": "nl", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            sent["Referer"] = f"http://{self.host}{path}"
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def csrf(self, text: str) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        return found.group(1) if found else self.cookies.get("csrftoken", "")


def timed(call) -> tuple[float, int, str, str]:
    began = time.perf_counter()
    status, location, text = call()
    return time.perf_counter() - began, status, location, text


# --- the peer ---------------------------------------------------------------------------------------------


def oscar_python() -> Path:
    python = OSCAR_VENV / "bin" / "python"
    stamp = OSCAR_VENV / ".lock-sha"
    lock = (PEER / "requirements.lock").read_bytes()
    import hashlib

    wanted = hashlib.sha256(lock).hexdigest()
    if not python.exists():
        venv.EnvBuilder(with_pip=True).create(OSCAR_VENV)
    if not stamp.exists() or stamp.read_text() != wanted:
        subprocess.run(
            [
                python,
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--require-hashes",
                "-r",
                PEER / "requirements.lock",
            ],
            check=True,
        )
        stamp.write_text(wanted)
    return python


def prepare_oscar(url: str, merchants: int, products: int) -> dict:
    python = oscar_python()
    recreate_database(url)
    env = {**os.environ, "OSCAR_BENCH_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "settings", "PYTHONPATH": str(PEER)}
    subprocess.run([python, "-m", "django", "migrate", "-v", "0"], cwd=PEER, env=env, check=True)
    subprocess.run(
        [python, "seed.py", "--merchants", str(merchants), "--products", str(products)], cwd=PEER, env=env, check=True
    )
    return env


def start_oscar(port: int, workers: int, env: dict) -> subprocess.Popen:
    return start_gunicorn(
        port,
        workers,
        env,
        gunicorn=OSCAR_VENV / "bin" / "gunicorn",
        app="wsgi_app:application",
        cwd=PEER,
        ready_path="/catalogue/",
        wait_seconds=60,
    )


class OscarShopper:
    """Browse, add to basket and place an order as an anonymous Oscar customer."""

    def __init__(self, port: int, n: int, products: int):
        self.browser = Browser(port)
        self.n, self.products = n, products

    def _product_path(self, rng) -> tuple[str, int]:
        number = rng.randrange(self.products)
        return f"/catalogue/artikel-{number:05d}_{number + 1}/", number + 1

    def catalogue(self, rng):
        number = rng.randrange(len(CATEGORIES))
        path = f"/catalogue/category/{CATEGORIES[number].lower()}_{number + 1}/"
        return lambda: self.browser.request("GET", path)

    def product(self, rng):
        path, self.pk = self._product_path(rng)
        return lambda: self.browser.request("GET", path)

    def add_to_cart(self, rng):
        return lambda: self.browser.request("POST", f"/basket/add/{self.pk}/", {"quantity": 1})

    def checkout(self, rng):
        b = self.browser
        _status, location, text = b.request("GET", "/checkout/")
        if location.endswith("/checkout/") or "options" in text:
            b.request("POST", "/checkout/", {"username": f"klant{self.n}@bench.example", "options": "anonymous"})
        b.request(
            "POST",
            "/checkout/shipping-address/",
            {
                "first_name": "Klant",
                "last_name": str(self.n),
                "line1": "Langestraat 1",
                "line4": "Amersfoort",
                "postcode": "3811 AB",
                "country": "NL",
            },
        )
        b.request("GET", "/checkout/shipping-method/")
        b.request("GET", "/checkout/payment-method/")
        b.request("GET", "/checkout/payment-details/")
        b.request("GET", "/checkout/preview/")
        return lambda: b.request("POST", "/checkout/preview/", {"action": "place_order"})

    def ok(self, step: str, status: int, location: str) -> bool:
        if step == "checkout":
            return status in (301, 302) and "thank-you" in location
        if step == "add_to_cart":
            return status in (301, 302)
        return status == 200


# --- the run ----------------------------------------------------------------------------------------------


def load(make_shopper, clients: int, seconds: float, think: float = 0.0) -> dict:
    """One thread per shopper for `seconds` after a warm-up round each; latencies per step."""
    latencies: dict[str, list[float]] = {step: [] for step in STEPS}
    failures: dict[str, int] = {step: 0 for step in STEPS}
    samples: dict[str, str] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def shopper(n: int) -> None:
        rng = random.Random(n)
        me = make_shopper(n)
        mine = {step: [] for step in STEPS}
        bad = {step: 0 for step in STEPS}
        rounds = 0
        while time.monotonic() < stop_at:
            steps = ["catalogue", "product", "add_to_cart"] + (["checkout"] if rounds % 4 == 3 else [])
            for step in steps:
                call = getattr(me, step)(rng)
                took, status, location, text = timed(call)
                if rounds:  # the first round warms each worker up
                    mine[step].append(took)
                if not me.ok(step, status, location):
                    bad[step] += 1
                    with lock:
                        samples.setdefault(step, f"{status} {location} {text[:300]!r}")
                if think:  # reading the page before the next click
                    time.sleep(think * rng.uniform(0.5, 1.5))
            rounds += 1
        with lock:
            for step in STEPS:
                latencies[step].extend(mine[step])
                failures[step] += bad[step]

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures = {}
    for step in STEPS:
        values = sorted(latencies[step])
        if not values:
            figures[step] = {"requests": 0}
            continue

        def pct(p: float, values=values) -> float:
            return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 1)

        figures[step] = {"requests": len(values), "failed": failures[step], "p50_ms": pct(0.5), "p95_ms": pct(0.95)}
    if samples:
        print("first failure per step:", json.dumps(samples, ensure_ascii=False)[:2000], file=sys.stderr)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.0, help="seconds a shopper pauses between pages (±50 %%)")
    parser.add_argument("--skip-oscar", action="store_true")
    parser.add_argument("--skip-agora", action="store_true")
    args = parser.parse_args()

    results: dict[str, dict] = {}
    if not args.skip_agora:
        from shop_bench_agora import AgoraShopper, prepare_agora

        url = os.environ.get("AGORA_BENCH_DATABASE_URL", DEFAULT_URL)
        env, fixture = prepare_agora(url, args.merchants, args.products)
        server = start_gunicorn(8811, args.workers, env)
        try:
            results["agora"] = load(lambda n: AgoraShopper(8811, n, fixture), args.clients, args.seconds, args.think)
        finally:
            server.terminate()
            server.wait()
    if not args.skip_oscar:
        env = prepare_oscar(
            os.environ.get("OSCAR_BENCH_DATABASE_URL", DEFAULT_OSCAR_URL), args.merchants, args.products
        )
        server = start_oscar(8812, args.workers, env)
        try:
            results["oscar"] = load(
                lambda n: OscarShopper(8812, n, args.products), args.clients, args.seconds, args.think
            )
        finally:
            server.terminate()
            server.wait()

    load_average = os.getloadavg()
    for system, figures in results.items():
        for step, row in figures.items():
            print(f"{system:6} {step:12} {json.dumps(row)}")
    summary: dict = {
        "merchants": args.merchants,
        "products": args.products,
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "think_s": args.think,
        "load_average_1m": round(load_average[0], 2),
    }
    for step in STEPS:
        ours = results.get("agora", {}).get(step, {}).get("p95_ms")
        theirs = results.get("oscar", {}).get(step, {}).get("p95_ms")
        summary[f"{step}_p95_ms"] = ours
        summary[f"{step}_target_ms"] = TARGETS_MS[step]
        summary[f"oscar_{step}_p95_ms"] = theirs
        summary[f"{step}_ratio"] = round(ours / theirs, 2) if ours and theirs else None
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
