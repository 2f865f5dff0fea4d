"""Effect reports that could not be measured keep why as a code (`result["reason"]`), so the pages say "Too few
members" in the reader's language instead of "Failed". Reports stored before wrote only the message, in the
language of whoever asked: read the reason back from it once."""

import re

from django.db import migrations

TOO_FEW = re.compile(r"^(?:Fewer than|Minder dan) (\d+) ")
NOT_STARTED = ("The campaign has not started yet.", "De campagne is nog niet begonnen.")


def reasons_from_messages(apps, schema_editor):
    EffectReport = apps.get_model("analytics", "EffectReport")
    for report in EffectReport.objects.filter(status="failed").only("pk", "error", "result"):
        if report.result:
            continue
        found = TOO_FEW.match(report.error or "")
        if found:
            result = {"reason": "too_few_members", "k": int(found.group(1))}
        elif report.error in NOT_STARTED:
            result = {"reason": "not_started"}
        else:
            result = {"reason": "not_enough_data"}
        EffectReport.objects.filter(pk=report.pk).update(result=result)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_effects")]

    operations = [migrations.RunPython(reasons_from_messages, migrations.RunPython.noop)]
