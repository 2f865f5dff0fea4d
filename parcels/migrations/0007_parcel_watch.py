"""A member's "let me know when this parcel arrives" is a note of its own (`ParcelWatch`), no longer an announcement
that named the member as the recipient. Open member announcements become notes; nothing is taken in for them."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def notes_from_member_announcements(apps, schema_editor):
    Announcement = apps.get_model("parcels", "Announcement")
    ParcelWatch = apps.get_model("parcels", "ParcelWatch")
    # Open ones only: an announcement a parcel already took stays, as the history of that parcel.
    opened = Announcement.objects.filter(source="member", parcel__isnull=True)
    ParcelWatch.objects.bulk_create(
        [
            ParcelWatch(
                point_id=announcement.point_id,
                member_id=announcement.member_id,
                carrier_id=announcement.carrier_id,
                tracking_code=announcement.tracking_code,
                created_at=announcement.created_at,
            )
            for announcement in opened.exclude(member=None)
        ],
        ignore_conflicts=True,
    )
    opened.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("parcels", "0006_parcel_arrivals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ParcelWatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("tracking_code", models.CharField(max_length=64, verbose_name="tracking code")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="noted at")),
                (
                    "carrier",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="parcels.carrier",
                        verbose_name="carrier",
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="parcel_watches",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="member",
                    ),
                ),
                (
                    "point",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="parcels.parcelpoint",
                        verbose_name="parcel point",
                    ),
                ),
            ],
            options={
                "verbose_name": "parcel a member expects",
                "verbose_name_plural": "parcels members expect",
                "ordering": ["-created_at"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("member", "point", "carrier", "tracking_code"), name="parcels_watch_once_per_member"
                    )
                ],
            },
        ),
        migrations.RunPython(notes_from_member_announcements, migrations.RunPython.noop),
    ]
