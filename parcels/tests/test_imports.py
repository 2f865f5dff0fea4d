"""Pre-announcements by CSV: all or nothing, every bad row listed with its line number, BOM and `;` read."""

import pytest
from django.urls import reverse
from django.utils import translation

from parcels import services
from parcels.exceptions import AnnouncementsRejected, NotAllowed
from parcels.models import Announcement, AnnouncementSource

from .factories import UPS_CODES, desk_staff

HEADER = "tracking_code;recipient_name;recipient_email;expected_on;reference\n"


def csv_bytes(*lines, header=HEADER, bom=False) -> bytes:
    text = header + "".join(line + "\n" for line in lines)
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def test_a_good_file_with_a_bom_and_semicolons_is_imported_with_a_summary(point, staff):
    # given: one parcel announced before through the API
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[0],
        recipient_name="Sanne de Vries",
        recipient_email="sanne@example.org",
        source=AnnouncementSource.API,
    )
    data = csv_bytes(
        f"{UPS_CODES[0]};Sanne de Vries;sanne@example.org;;",
        f"{UPS_CODES[1]};Jan Jansen;jan@example.org;2026-06-12;order 7",
        f"{UPS_CODES[2]};Zoë Çelik;zoe@example.org;13-06-2026;",
        bom=True,
    )
    # when
    result = services.import_announcements_csv(point=point, carrier_code="ups", data=data, by=staff)
    # then
    assert (result.new, result.already) == (2, 1)
    zoe = Announcement.objects.get(tracking_code=UPS_CODES[2])
    assert (zoe.recipient_name, zoe.expected_on.isoformat(), zoe.source) == ("Zoë Çelik", "2026-06-13", "csv")
    assert Announcement.objects.get(tracking_code=UPS_CODES[1]).external_reference == "order 7"


def test_commas_and_any_column_order_are_read(point, staff):
    data = csv_bytes(f"jan@example.org,{UPS_CODES[1]},Jan", header="recipient_email,tracking_code,recipient_name\n")
    assert services.import_announcements_csv(point=point, carrier_code="ups", data=data, by=staff).new == 1


def test_one_bad_row_imports_nothing_and_every_problem_is_listed_by_line_in_dutch(point, staff):
    # given: someone else's parcel announced before
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[3],
        recipient_name="Bo",
        recipient_email="bo@example.org",
        source=AnnouncementSource.API,
    )
    data = csv_bytes(
        f"{UPS_CODES[0]};Sanne de Vries;sanne@example.org;;",  # line 2: good
        "1Z5R89390357567128;Jan;jan@example.org;;",  # 3: wrong check digit for UPS
        f"{UPS_CODES[1]};;geen-adres;;",  # 4: no name, bad e-mail
        f"{UPS_CODES[2]};Zoë;zoe@example.org;31-02-2026;",  # 5: no such date
        f"{UPS_CODES[0]};Sanne de Vries;sanne@example.org;;",  # 6: twice in the file
        f"{UPS_CODES[3]};Piet;piet@example.org;;",  # 7: announced for someone else
        "   ;Anna;anna@example.org;;",  # 8: no code
    )
    # when
    with translation.override("nl"), pytest.raises(AnnouncementsRejected) as rejected:
        services.import_announcements_csv(point=point, carrier_code="ups", data=data, by=staff)
    # then
    problems = [(error.line, error.field, error.message) for error in rejected.value.errors]
    assert problems == [
        (3, "tracking_code", "“1Z5R89390357567128” is geen geldige trackingcode van UPS."),
        (4, "recipient_name", "De naam van de ontvanger ontbreekt."),
        (4, "recipient_email", "“geen-adres” is geen geldig e-mailadres."),
        (5, "expected_on", "“31-02-2026” is geen datum (gebruik 2026-06-12)."),
        (6, "tracking_code", "Dit pakket staat twee keer in de lijst (ook op regel 2)."),
        (7, "tracking_code", "Dit pakket is al aangemeld voor een andere ontvanger."),
        (8, "tracking_code", "De trackingcode ontbreekt."),
    ]
    assert Announcement.objects.count() == 1  # only the one from before


def test_a_file_without_the_columns_or_too_large_is_refused(point, staff, monkeypatch):
    with pytest.raises(AnnouncementsRejected) as rejected:
        services.import_announcements_csv(point=point, carrier_code="ups", data=b"code;name\nx;y\n", by=staff)
    assert rejected.value.errors[0].line == 1 and "tracking_code" in rejected.value.errors[0].message
    monkeypatch.setattr("parcels.services.imports.MAX_UPLOAD_BYTES", 10)
    with pytest.raises(AnnouncementsRejected):
        services.import_announcements_csv(point=point, carrier_code="ups", data=csv_bytes("x;y;z"), by=staff)
    with pytest.raises(AnnouncementsRejected):
        services.import_announcements_csv(point=point, carrier_code="ups", data="é".encode("latin-1"), by=staff)


def test_only_the_points_staff_may_import(point, person, flemish_area):
    data = csv_bytes(f"{UPS_CODES[0]};Sanne;sanne@example.org;;")
    for outsider in (person, desk_staff(flemish_area)):
        with pytest.raises(NotAllowed):
            services.import_announcements_csv(point=point, carrier_code="ups", data=data, by=outsider)


def test_the_upload_page_lists_the_bad_rows_and_imports_a_good_file(client, point, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from privacy.tests.factories import with_totp

    client.force_login(with_totp(staff))
    url = reverse("parcels:upload_announcements", kwargs={"point_pk": point.pk})
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("ups.csv", csv_bytes(f"{UPS_CODES[0]};;sanne@example.org;;"), content_type="text/csv")
    response = client.post(url, {"carrier": "ups", "file": bad})
    assert response.status_code == 400 and "recipient_name" in response.content.decode()
    good = SimpleUploadedFile(
        "ups.csv", csv_bytes(f"{UPS_CODES[0]};Sanne;sanne@example.org;;"), content_type="text/csv"
    )
    response = client.post(url, {"carrier": "ups", "file": good}, follow=True)
    assert response.status_code == 200 and Announcement.objects.count() == 1


def test_the_upload_page_is_not_found_for_other_areas_staff(client, point, flemish_area):
    from privacy.tests.factories import with_totp

    client.force_login(with_totp(desk_staff(flemish_area)))
    url = reverse("parcels:upload_announcements", kwargs={"point_pk": point.pk})
    assert client.get(url).status_code == 404


def test_a_long_address_and_implausible_dates_are_refused_line_by_line(point, staff):
    # The demo's clock is the real one: the window is counted from today in the area's zone.
    from django.utils import timezone

    year = timezone.localdate().year
    data = csv_bytes(
        f"{UPS_CODES[0]};Sanne;{'s' * 250}@example.org;;",  # line 2: 262 characters, the column takes 254
        f"{UPS_CODES[1]};Jan;jan@example.org;1999-01-01;",  # 3: long ago
        f"{UPS_CODES[2]};Zoë;zoe@example.org;31-12-9999;",  # 4: a placeholder
        f"{UPS_CODES[3]};Bo;bo@example.org;{year - 1}-01-01;",  # 5: the first plausible day: fine
    )
    with translation.override("en"), pytest.raises(AnnouncementsRejected) as rejected:
        services.import_announcements_csv(point=point, carrier_code="ups", data=data, by=staff)
    problems = [(error.line, error.field, error.message) for error in rejected.value.errors]
    window = f"give one from {year - 1}-01-01 to {year + 1}-12-31."
    assert problems == [
        (2, "recipient_email", "This e-mail address is too long: at most 254 characters."),
        (3, "expected_on", f"1999-01-01 is not a plausible expected date: {window}"),
        (4, "expected_on", f"9999-12-31 is not a plausible expected date: {window}"),
    ]
    assert not Announcement.objects.exists()
