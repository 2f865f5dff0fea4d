"""Test-wide setup: the test profile of the settings (fast hashing, in-memory e-mail)."""

import os

os.environ.setdefault("AGORA_ENV", "test")
