"""The desk blocks and unblocks gift cards and clears their PIN lock: each change noted with who, when and why."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0016_forget_profiles_without_consent"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GiftCardChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("block", "Blocked"), ("unblock", "Unblocked"), ("clear_pin", "PIN lock cleared")],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("reason", models.CharField(blank=True, max_length=200, verbose_name="reason")),
                ("occurred_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="time")),
                (
                    "by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "card",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="changes",
                        to="loyalty.giftcard",
                        verbose_name="gift card",
                    ),
                ),
            ],
            options={
                "verbose_name": "gift card change",
                "verbose_name_plural": "gift card changes",
                "ordering": ["occurred_at", "pk"],
                "indexes": [models.Index(fields=["card", "occurred_at"], name="giftcard_change_card_time")],
            },
        ),
    ]
