"""Settlement payments: that an issued statement was paid, recorded once per statement and never changed.

As 0007 does for the statements, on PostgreSQL the database itself refuses UPDATE and DELETE of
loyalty_settlementpayment (privacy's trigger function); SQLite relies on the ORM guard alone.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

CREATE_TRIGGER = """
CREATE TRIGGER loyalty_settlementpayment_append_only BEFORE UPDATE OR DELETE ON loyalty_settlementpayment
FOR EACH ROW EXECUTE FUNCTION privacy_refuse_change();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS loyalty_settlementpayment_append_only ON loyalty_settlementpayment;"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP_TRIGGER)
    schema_editor.execute(CREATE_TRIGGER)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP_TRIGGER)


class Migration(migrations.Migration):

    dependencies = [
        ('loyalty', '0010_pass_till_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SettlementPayment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('paid_on', models.DateField(verbose_name='paid on')),
                ('amount_cents', models.IntegerField(verbose_name='amount (cents)')),
                ('reference', models.CharField(blank=True, help_text="The bank transfer's reference.", max_length=60, verbose_name='reference')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='recorded at')),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
                ('statement', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='payment', to='loyalty.settlementstatement', verbose_name='statement')),
            ],
            options={
                'verbose_name': 'settlement payment',
                'verbose_name_plural': 'settlement payments',
                'ordering': ['-paid_on', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount_cents', 0), _negated=True), name='settlement_payment_not_zero')],
            },
        ),
        migrations.RunPython(install, remove),
    ]
