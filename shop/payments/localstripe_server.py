"""Run localstripe (the test stand-in for Stripe's API) with its state in a file of our choosing.

    python shop/payments/localstripe_server.py --port 8420 [--state-file /tmp/x.pickle] [--from-scratch]

localstripe pickles its whole state to the fixed path /tmp/localstripe.pickle after every write, which
parallel instances (test runs of several developers, the demo) would share; this starts it with that path
replaced. It is run as a separate process (a script, not imported: localstripe is GPL and never linked
into Agora) by `manage.py localstripe`, `dev.py demo` and the contract tests' fixture.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state-file", default="")
    parser.add_argument("--from-scratch", action="store_true")
    args = parser.parse_args()
    state_file = args.state_file or tempfile.mkstemp(prefix="localstripe-", suffix=".pickle")[1]

    # This script's folder is first on the path; nothing in it may shadow the `localstripe` package.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [entry for entry in sys.path if str(Path(entry or ".").resolve()) != here]
    from localstripe import resources, server

    def load(self):
        try:
            with open(state_file, "rb") as f:
                self.clear()
                self.update(pickle.load(f))
        except (FileNotFoundError, EOFError):
            pass

    def dump(self):
        with open(state_file, "wb") as f:
            pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump
    sys.argv = [sys.argv[0], "--port", str(args.port)] + (["--from-scratch"] if args.from_scratch else [])
    server.start()


if __name__ == "__main__":
    main()
