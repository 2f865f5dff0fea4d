"""A parcel that left and comes back is taken in as a new arrival (its own row, numbered); refusals say whether the
size or the weight was the reason; undoing a refusal at the desk is an event of the refused parcel."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("parcels", "0005_event_device_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="parcel",
            name="arrival",
            field=models.PositiveSmallIntegerField(default=1, editable=False, verbose_name="arrival"),
        ),
        migrations.RemoveConstraint(
            model_name="parcel",
            name="parcels_parcel_unique_code",
        ),
        migrations.AddConstraint(
            model_name="parcel",
            constraint=models.UniqueConstraint(
                fields=("point", "carrier", "tracking_code", "arrival"), name="parcels_parcel_unique_arrival"
            ),
        ),
        migrations.AlterField(
            model_name="parcel",
            name="refused_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("oversize", "Too large or too heavy"),
                    ("too_large", "Too large"),
                    ("too_heavy", "Too heavy"),
                    ("damaged", "Damaged"),
                    ("not_for_us", "Not for this point"),
                    ("no_agreement", "No agreement with this carrier"),
                ],
                max_length=20,
                verbose_name="refused because",
            ),
        ),
        migrations.AlterField(
            model_name="parcelevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("received", "Scanned in"),
                    ("refused", "Refused at intake"),
                    ("stored", "Put on the shelf"),
                    ("moved", "Moved to another slot"),
                    ("picked_up", "Handed out"),
                    ("expired", "Storage limit passed"),
                    ("return_received", "Return dropped off"),
                    ("handed_to_carrier", "Handed to the carrier"),
                    ("missing", "Missing at the inventory"),
                    ("found", "Found again"),
                    ("lost", "Declared lost"),
                    ("refusal_undone", "Refusal undone"),
                ],
                max_length=20,
                verbose_name="what",
            ),
        ),
    ]
