"""Settlement statements: issued once per merchant and period, then never changed.

As 0002 does for the ledgers, on PostgreSQL the database itself refuses UPDATE and DELETE of
loyalty_settlementstatement (privacy's trigger function); SQLite relies on the ORM guard alone.
"""

import django.db.models.deletion
import django.db.models.expressions
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


CREATE_TRIGGER = """
CREATE TRIGGER loyalty_settlementstatement_append_only BEFORE UPDATE OR DELETE ON loyalty_settlementstatement
FOR EACH ROW EXECUTE FUNCTION privacy_refuse_change();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS loyalty_settlementstatement_append_only ON loyalty_settlementstatement;"


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
        ('areas', '0002_membership_granted_by_ended_by'),
        ('loyalty', '0006_giftcard_append_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SettlementStatement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sequence', models.PositiveIntegerField(verbose_name='statement number')),
                ('first_day', models.DateField(verbose_name='first day')),
                ('last_day', models.DateField(verbose_name='last day')),
                ('time_zone', models.CharField(max_length=40, verbose_name='time zone')),
                ('issue_fee_millicents_per_point', models.PositiveIntegerField(verbose_name='fee per point issued (1/1000 cent)')),
                ('redeem_refund_millicents_per_point', models.PositiveIntegerField(verbose_name='refund per point redeemed (1/1000 cent)')),
                ('giftcard_commission_permille', models.PositiveSmallIntegerField(verbose_name='commission on gift-card takings (‰)')),
                ('points_issued', models.IntegerField(verbose_name='points issued')),
                ('issue_fee_cents', models.IntegerField(verbose_name='fee for points issued (cents)')),
                ('points_redeemed', models.IntegerField(verbose_name='points redeemed')),
                ('redeem_refund_cents', models.IntegerField(verbose_name='refund for points redeemed (cents)')),
                ('voucher_cents', models.IntegerField(verbose_name='collective vouchers taken (cents)')),
                ('voucher_refund_cents', models.IntegerField(verbose_name='refund for collective vouchers (cents)')),
                ('giftcard_cents', models.IntegerField(verbose_name='gift cards taken (cents)')),
                ('giftcard_refund_cents', models.IntegerField(verbose_name='refund for gift cards taken (cents)')),
                ('giftcard_commission_cents', models.IntegerField(verbose_name='commission on gift cards (cents)')),
                ('net_cents', models.IntegerField(verbose_name='net (cents)')),
                ('merchant_details', models.JSONField(default=dict, verbose_name='merchant details')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='issued at')),
                ('area', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='settlement_statements', to='areas.shoppingarea', verbose_name='shopping area')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='issued by')),
                ('merchant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='settlement_statements', to='areas.merchant', verbose_name='merchant')),
            ],
            options={
                'verbose_name': 'settlement statement',
                'verbose_name_plural': 'settlement statements',
                'ordering': ['-first_day', 'merchant_id'],
                'constraints': [models.UniqueConstraint(fields=('merchant', 'first_day', 'last_day'), name='settlement_once_per_period'), models.UniqueConstraint(fields=('area', 'sequence'), name='settlement_number_unique_per_area'), models.CheckConstraint(condition=models.Q(('last_day__gte', models.F('first_day'))), name='settlement_period_not_empty'), models.CheckConstraint(condition=models.Q(('net_cents', django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('issue_fee_cents'), '+', models.F('redeem_refund_cents')), '+', models.F('voucher_refund_cents')), '+', models.F('giftcard_refund_cents')), '+', models.F('giftcard_commission_cents')))), name='settlement_net_is_sum_of_lines')],
            },
        ),
        migrations.RunPython(install, remove),
    ]
