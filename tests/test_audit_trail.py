"""Staff access to and changes of personal data leave an entry in the audit log, visible to the
area's manager where the access concerned their area."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from areas import services as area_services
from areas.tests.factories import MerchantFactory, StaffMembershipFactory, UserFactory
from privacy.models import AuditAction, AuditEntry
from privacy.tests.factories import with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(client):
    admin = with_totp(UserFactory(is_staff=True, is_superuser=True))
    client.force_login(admin)
    return admin


def test_a_platform_admin_looking_at_an_account_is_audited(client, platform_admin, person):
    response = client.get(reverse("admin:accounts_user_change", args=[person.pk]))

    assert response.status_code == 200
    entry = AuditEntry.objects.get(subject=person)
    assert (entry.actor, entry.action, entry.via) == (platform_admin, AuditAction.VIEW, "admin")
    assert person.email not in str(entry.fields)  # field names, never values


def test_changing_an_account_in_the_admin_records_the_fields_not_the_values(client, platform_admin, person):
    page = client.get(reverse("admin:accounts_user_change", args=[person.pk]))
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update({"first_name": "Anouk", "groups": [], "user_permissions": []})
    data = {k: v for k, v in data.items() if k not in {"password", "pseudonym", "date_joined", "last_login"}}

    response = client.post(reverse("admin:accounts_user_change", args=[person.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    change = AuditEntry.objects.get(subject=person, action=AuditAction.CHANGE)
    assert change.fields == ["first_name"]
    assert "Anouk" not in str(AuditEntry.objects.values_list("fields", flat=True))


def test_granting_and_ending_a_role_is_audited_for_the_area_manager(client, area):
    # given: an owner who adds a member of staff
    merchant = MerchantFactory(area=area)
    owner = with_totp(StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=merchant).user)
    newcomer = UserFactory()

    membership = area_services.grant_role(user=newcomer, role=Role.MERCHANT_STAFF, merchant=merchant, granted_by=owner)
    area_services.end_role(membership=membership, by=owner)

    # then: both changes are in the log, in the area's scope
    entries = AuditEntry.objects.filter(subject=newcomer, action=AuditAction.CHANGE).order_by("pk")
    assert [(e.actor, e.area_id, e.fields) for e in entries] == [
        (owner, area.pk, ["role"]),
        (owner, area.pk, ["ended_at"]),
    ]
    manager = with_totp(StaffMembershipFactory(role=Role.AREA_MANAGER, area=area).user)
    client.force_login(manager)
    page = client.get(reverse("privacy:audit_log"), HTTP_HOST=_host(area))
    assert page.status_code == 200
    assert {e.fields[0] for e in page.context["page"].object_list} >= {"role", "ended_at"}


def test_opening_a_merchant_team_page_is_audited(client, area):
    merchant = MerchantFactory(area=area)
    owner = with_totp(StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=merchant).user)
    client.force_login(owner)

    assert client.get(reverse("areas:team", args=[merchant.pk])).status_code == 200

    entry = AuditEntry.objects.get(actor=owner, action=AuditAction.VIEW)
    assert (entry.object_type, entry.object_id, entry.area_id) == ("areas.merchant", str(merchant.pk), area.pk)


def _host(area) -> str:
    from cms.services import create_area_site

    create_area_site(area=area, hostname=f"{area.slug}.localhost", is_default=True)
    return f"{area.slug}.localhost"
