#!/usr/bin/env python3
"""The two commands of the README, runnable on a fresh machine with nothing but Python 3.11+.

    python3 dev.py demo   install from the lock file, migrate, seed the demo town, serve :8000
    python3 dev.py test   install from the lock file, run the checks and the test suite

Everything is installed into `.venv/` from `requirements.lock` (hashes checked); a stamp file
keeps the install from running again while the lock file is unchanged. The few third-party browser
scripts (QR drawing and decoding) come from npm: `npm ci` installs exactly `package-lock.json` into
`node_modules/` when it is missing or the lock changed (Node.js and npm are needed for that only).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".agora-lock-sha256"
NPM_LOCK = ROOT / "package-lock.json"
NODE_MODULES = ROOT / "node_modules"
NPM_STAMP = NODE_MODULES / ".agora-lock-sha256"


def run(*args: str | os.PathLike, env: dict | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if completed.returncode:
        sys.exit(completed.returncode)


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may be started by an older python3)
        sys.exit("Agora needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print(f"Creating {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--require-hashes", "-r", LOCK)
    # Puts `platform/` (a source root) and the domain apps on the path through package metadata.
    run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-build-isolation",
        "-e",
        ".",
    )
    STAMP.write_text(wanted)


def ensure_node_modules() -> None:
    """`npm ci` from package-lock.json when node_modules/ is missing or the lock changed."""
    if not NPM_LOCK.exists():
        return
    wanted = hashlib.sha256(NPM_LOCK.read_bytes()).hexdigest()
    if NPM_STAMP.exists() and NPM_STAMP.read_text().strip() == wanted:
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("Agora's browser scripts come from npm: install Node.js and npm (e.g. apt install nodejs npm).")
    run(npm, "ci", "--no-audit", "--no-fund")
    NPM_STAMP.write_text(wanted)


def demo(args: list[str]) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    manage = [PYTHON, "manage.py"]
    run(*manage, "migrate", "--noinput", env=env)
    run(*manage, "seed_demo", "--seed", "1", "--size", "small", "--if-empty", env=env)
    address = args[0] if args else "localhost:8000"
    stripe_stand_in = start_localstripe(address, env)
    print(f"\nAgora demo: http://{address}/  (stop with Ctrl-C)\n", flush=True)
    try:
        run(*manage, "runserver", address, env=env)
    finally:
        if stripe_stand_in is not None and stripe_stand_in.poll() is None:
            stripe_stand_in.terminate()
            stripe_stand_in.wait(timeout=10)


def start_localstripe(address: str, env: dict) -> subprocess.Popen | None:
    """localstripe (a local stand-in for Stripe) beside the demo, so a checkout works offline.

    Without it the demo still runs; the shop then says payment is unavailable.
    """
    host, _, port = address.rpartition(":")
    webhook_url = f"http://{host or 'localhost'}:{port or '8000'}/shop/stripe/webhook/"
    child = subprocess.Popen([str(PYTHON), "manage.py", "localstripe", "--webhook-url", webhook_url], cwd=ROOT, env=env)
    try:
        child.wait(timeout=4)
    except subprocess.TimeoutExpired:
        return child  # still running: it is serving
    print("Warning: localstripe could not start; the demo runs, but the shop cannot take payments.", flush=True)
    return None


def test(args: list[str]) -> None:
    env = {**os.environ}
    run(BIN / "ruff", "check", ".", env=env)
    run(PYTHON, "manage.py", "makemigrations", "--check", "--dry-run", env=env)
    run(PYTHON, "manage.py", "check", env=env)
    # loadgroup: the PostgreSQL concurrency tests (50–100 connections each) share one worker, one at a time.
    run(PYTHON, "-m", "pytest", *(args or ["-n", "auto", "--dist", "loadgroup", "-q"]), env=env)


def main() -> None:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    os.chdir(ROOT)
    ensure_environment()
    ensure_node_modules()
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
