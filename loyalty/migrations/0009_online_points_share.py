"""Which merchant's sale a webshop ledger entry's points belong to (`OnlinePointsShare`), for the settlement.

Append-only like the ledger: on PostgreSQL the database refuses UPDATE and DELETE (privacy's trigger function, as
0002 does for the ledger). Entries credited before this migration have no shares; nothing is back-filled (the
order's parts are the shop's, which loyalty does not read).
"""

import django.db.models.deletion
from django.db import migrations, models

CREATE_TRIGGER = """
CREATE TRIGGER loyalty_onlinepointsshare_append_only BEFORE UPDATE OR DELETE ON loyalty_onlinepointsshare
FOR EACH ROW EXECUTE FUNCTION privacy_refuse_change();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS loyalty_onlinepointsshare_append_only ON loyalty_onlinepointsshare;"


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
        ('loyalty', '0008_voucher_redeemed_online'),
    ]

    operations = [
        migrations.CreateModel(
            name='OnlinePointsShare',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('points', models.IntegerField(verbose_name='points')),
                ('campaign_points', models.IntegerField(default=0, verbose_name='of which campaign points')),
                ('campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='online_points_shares', to='loyalty.campaign', verbose_name='campaign')),
                ('entry', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='online_shares', to='loyalty.ledgerentry', verbose_name='ledger entry')),
                ('merchant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='online_points_shares', to='areas.merchant', verbose_name='merchant')),
            ],
            options={
                'verbose_name': 'webshop points of a merchant',
                'verbose_name_plural': 'webshop points of merchants',
                'ordering': ['entry', 'pk'],
                'indexes': [models.Index(fields=['merchant', 'entry'], name='online_share_merchant_entry')],
                'constraints': [models.UniqueConstraint(fields=('entry', 'merchant'), name='online_share_once_per_entry_and_merchant'), models.CheckConstraint(condition=models.Q(models.Q(('campaign_points__gte', 0), ('campaign_points__lte', models.F('points')), ('points__gt', 0)), models.Q(('campaign_points__gte', models.F('points')), ('campaign_points__lte', 0), ('points__lt', 0)), _connector='OR'), name='online_share_campaign_within_points'), models.CheckConstraint(condition=models.Q(('campaign__isnull', False), ('campaign_points', 0), _connector='OR'), name='online_share_campaign_points_have_one')],
            },
        ),
        migrations.RunPython(install, remove),
    ]
