"""Passes keep the postcode and age band only while their member's consent to the purpose they serve is given
(`services.passes.forget_withdrawn_profile` from now on): those stored before without it are emptied once."""

from django.db import migrations

PROFILE_PURPOSE = "analytics"


def forget_profiles_without_consent(apps, schema_editor):
    Pass = apps.get_model("loyalty", "Pass")
    CurrentConsent = apps.get_model("privacy", "CurrentConsent")
    given = CurrentConsent.objects.filter(purpose__code=PROFILE_PURPOSE, state="given")
    kept = set(given.values_list("subject_id", "area_id"))
    with_profile = Pass.objects.exclude(postcode="", age_band="")
    emptied = [
        pk
        for pk, member_id, area_id in with_profile.values_list("pk", "member_id", "area_id").iterator()
        if (member_id, area_id) not in kept
    ]
    for start in range(0, len(emptied), 1000):
        Pass.objects.filter(pk__in=emptied[start : start + 1000]).update(postcode="", age_band="")


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0015_lot_expiry_postponed"),
        ("privacy", "0004_consent_collected_on_joining"),
    ]

    operations = [migrations.RunPython(forget_profiles_without_consent, migrations.RunPython.noop)]
