#!/usr/bin/env python
"""Django's command-line utility for Agora."""

import os
import sys
from pathlib import Path


def main() -> None:
    # `platform/` is a source root, not a package (it would shadow the standard library's
    # `platform`); put it on the path behind the standard library so both import correctly.
    root = Path(__file__).resolve().parent
    sys.path[1:1] = [str(root / "platform"), str(root)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
