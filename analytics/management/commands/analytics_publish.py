"""`manage.py analytics_publish [area …] [--reopen-from DATE --yes]`: a platform admin's run of the analytics.

Without options it does what the nightly run does (`analytics.services.recompute`): it publishes the periods that
are due and not published yet, and changes no published figure (`analytics.publication`). Use it when a night's
run failed.

`--reopen-from DATE` first deletes the published figures of every period that ends after DATE, so that they are
computed again from the members who consent now: after a bug fix, for instance. Whoever kept the earlier figures
(a download, a PDF, an API answer) can then compare them with the new ones and learn what the members who
withdrew since did; so it asks for `--yes`, and says so.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics import services
from analytics.models import KpiRun
from areas.models import ShoppingArea


class Command(BaseCommand):
    help = "Publish the analytics figures that are due, as the nightly run does (--reopen-from: recompute some)."

    def add_arguments(self, parser):
        parser.add_argument("areas", nargs="*", help="area slugs (default: every area)")
        parser.add_argument("--today", type=date.fromisoformat, help="the run's day (default: today in each area)")
        parser.add_argument(
            "--reopen-from",
            type=date.fromisoformat,
            help="delete and recompute the published figures of every period that ends after this date",
        )
        parser.add_argument("--yes", action="store_true", help="confirm --reopen-from")

    def handle(self, *args, areas, today, reopen_from, yes, **options):
        chosen = ShoppingArea.objects.order_by("name")
        if areas:
            chosen = chosen.filter(slug__in=areas)
            missing = set(areas) - set(chosen.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No such area: {', '.join(sorted(missing))}")
        if reopen_from:
            self.stdout.write(
                f"Reopening the figures of every period that ends after {reopen_from:%Y-%m-%d}: they are computed "
                "again from the members who consent now. Anyone who kept the earlier figures can compare them with "
                "the new ones and learn what members who withdrew since then did. Do this only to correct an error."
            )
            if not yes:
                raise CommandError("Nothing changed: add --yes to reopen the published figures.")
        for area in chosen:
            if reopen_from:
                deleted = services.reopen_periods(area=area, since=reopen_from)
                self.stdout.write(f"{area.slug}: {deleted} published figures deleted")
            run = KpiRun.objects.create(area=area, trigger="command")
            run = services.recompute(area=area, run=run, today=today)
            self.stdout.write(f"{area.slug}: {run.rows_written} figures published or refreshed (run {run.pk})")
