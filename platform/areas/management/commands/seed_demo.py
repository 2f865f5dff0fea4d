"""manage.py seed_demo --seed N --size tiny|small|medium|large [--if-empty] [--reset] [--today YYYY-MM-DD]
[--only MODULE ...]"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from accounts.roles import Role
from areas.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, SIZES, DemoContext, DemoSeedError, seed_demo

# Wagtail and django-tasks log every page save and search-index task at INFO: noise while seeding.
CHATTY_LOGGERS = ("wagtail", "django_tasks", "modelsearch")


@contextmanager
def _quiet(names=CHATTY_LOGGERS):
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = (
        "Seed the demo town: two shopping areas with merchants, staff logins in every role and members "
        "with their consents. Deterministic for a seed, a size and a reference date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--size",
            choices=list(SIZES),
            default="small",
            help="Members in total: " + ", ".join(f"{s.name} {s.members:,}" for s in SIZES.values()) + ".",
        )
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="Reference date (YYYY-MM-DD) every date derives from; default today, so the data looks current.",
        )
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any shopping area exists.")
        parser.add_argument("--reset", action="store_true", help="Delete the demo data first, then seed again.")
        parser.add_argument(
            "--only",
            nargs="*",
            metavar="MODULE",
            default=None,
            help="Besides the town itself, seed only these modules or steps (e.g. loyalty analytics.sensors).",
        )

    def handle(self, *args, seed: int, size: str, today: date | None, if_empty: bool, reset: bool, only, **options):
        today = today or timezone.localdate()
        members = SIZES[size].members
        self.stdout.write(f"Seeding the demo town: seed {seed}, size {size} ({members:,} members), {today}.")
        started = time.perf_counter()
        try:
            with _quiet():
                ctx = seed_demo(
                    seed=seed, size=size, today=today, if_empty=if_empty, reset=reset, only=only, log=self.stdout.write
                )
        except DemoSeedError as error:
            raise CommandError(str(error)) from error
        if ctx is None:
            return
        counts = ", ".join(f"{n:,} {what}" for what, n in ctx.counts.items())
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Demo town seeded in {elapsed:.1f} s: {counts}."))
        self._print_logins(ctx)

    def _print_logins(self, ctx: DemoContext) -> None:
        with translation.override("en"):
            rows = [("e-mail", "password", "role", "scope", "site")]
            rows += [
                (login.email, DEMO_PASSWORD, str(Role(login.role).label) if login.role in Role else "Member",
                 login.scope, login.url)
                for login in ctx.logins
            ]  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * width for width in widths))
        self.stdout.write("\nDemo logins:\n" + "\n".join("  " + line for line in lines))
        self.stdout.write(
            "\nStaff logins ask for a second factor (TOTP). The current code:\n"
            "    .venv/bin/python manage.py demo_totp [e-mail]\n"
            f"or add this key once to an authenticator app (it serves every demo staff login): {DEMO_TOTP_SECRET}\n"
        )
