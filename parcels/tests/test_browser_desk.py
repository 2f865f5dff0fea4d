"""The parcel desk in a real browser (the system Chromium driven by Playwright) against a live server: an announced
parcel is scanned in with a keyboard wedge (code + Enter), put on its slot, its recipient's e-mail gives the pickup
QR (decoded in the page from the e-mail's image, as the desk scanner would read it off her phone), the parcel is
handed out, and its history shows every step. Times the desk from Enter to ready (printed)."""

from __future__ import annotations

import base64
import json
import re
import statistics

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from parcels import services
from parcels.models import AnnouncementSource, Parcel, SizeClass
from parcels.states import ParcelState
from parcels.views_desk import DEVICE_COOKIE
from privacy.tests.factories import with_totp

from .factories import slot, webshop_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCANS = 20

# Installed before the desk's own script answers: the time from the scanner's Enter to the desk's
# "parcels:ready" with the scan field focused again.
TIMER = """
(() => {
  const input = document.querySelector("[data-scan-input]");
  window.deskTimes = [];
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") window.deskStart = performance.now();
  }, true);
  document.querySelector("[data-scan-form]").addEventListener("parcels:ready", (event) => {
    window.deskTimes.push({
      kind: event.detail.kind,
      ms: performance.now() - window.deskStart,
      focused: document.activeElement === input,
    });
  });
})();
"""


# Decodes a PNG (base64) in the page with jsQR, served from static files as the till's camera scanner loads it.
DECODE_QR = """
async ([source, png]) => {
  await new Promise((resolve, reject) => {
    const tag = document.createElement("script");
    tag.src = source;
    tag.onload = resolve;
    tag.onerror = reject;
    document.head.appendChild(tag);
  });
  const image = new Image();
  image.src = "data:image/png;base64," + png;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const found = window.jsQR(pixels.data, pixels.width, pixels.height);
  return found ? found.data : null;
}
"""


def decode_qr_in_page(page, base_url: str, png: bytes) -> str:
    source = f"{base_url}{settings.STATIC_URL}vendor/jsqr/jsQR.js"
    payload = page.evaluate(DECODE_QR, [source, base64.b64encode(png).decode()])
    assert payload, "jsQR found no QR code in the e-mail's image"
    return payload


def sign_in(page, live_server, user) -> None:
    """The desk's browser signed in as `user` (a session made by the test client), named "balie-1"."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": DEVICE_COOKIE, "value": "balie-1", "url": live_server.url},
        ]
    )


def wait_for_answer(page, count: int) -> dict:
    page.wait_for_function(f"window.deskTimes.length >= {count}")
    return page.evaluate(f"window.deskTimes[{count - 1}]")


def test_a_parcel_is_scanned_in_shelved_and_handed_out_at_the_desk(live_server, browser_page, point, staff):
    # given: a point with room, 20 announced parcels (the first for Sanne), and its desk staff signed in
    for number in range(1, 5):
        slot(point, "A", "1", str(number), size_class=SizeClass.L, capacity=6)
    codes = [webshop_code() for _ in range(SCANS)]
    for index, code in enumerate(codes):
        services.announce_parcel(
            point=point,
            carrier_code="webshop",
            tracking_code=code,
            recipient_name="Sanne de Vries" if index == 0 else f"Klant {index}",
            recipient_email="sanne@example.org" if index == 0 else f"klant{index}@example.org",
            source=AnnouncementSource.WEBSHOP,
        )
    page = browser_page
    sign_in(page, live_server, with_totp(staff))
    base = f"{live_server.url}/nl/pakketpunt/{point.pk}"

    # when: each parcel is scanned in as a wedge scanner does (the code, then Enter), and Enter takes the slot
    page.goto(f"{base}/inname/")
    page.evaluate(TIMER)
    scan_field = page.locator("[data-scan-input]")
    answers = []
    for index, code in enumerate(codes):
        scan_field.press_sequentially(code)
        scan_field.press("Enter")
        scanned = wait_for_answer(page, 2 * index + 1)
        assert scanned["kind"] == "received" and scanned["focused"], scanned
        assert page.locator("[data-result] [data-outcome=received]").get_attribute("data-code") == code
        scan_field.press("Enter")
        stored = wait_for_answer(page, 2 * index + 2)
        assert stored["kind"] == "stored" and stored["focused"], stored
        answers.append((scanned["ms"], stored["ms"]))

    # then: every parcel is on a shelf, the list shows the last ten, and the desk was quick
    assert set(Parcel.objects.values_list("state", flat=True)) == {ParcelState.STORED}
    assert page.locator("[data-recent] tbody tr").count() == 10
    scan_ms = [scan for scan, _slot in answers]
    slot_ms = [slot_time for _scan, slot_time in answers]
    print(
        json.dumps(
            {
                "desk_scan_to_ready_median_ms": round(statistics.median(scan_ms), 1),
                "desk_slot_to_ready_median_ms": round(statistics.median(slot_ms), 1),
                "desk_scan_to_ready_max_ms": round(max(scan_ms), 1),
                "scans": len(scan_ms),
            }
        )
    )

    # and: Sanne's e-mail carries her pickup code, and a QR image that decodes to her pickup token
    (message,) = [message for message in mail.outbox if message.to == ["sanne@example.org"]]
    parcel = Parcel.objects.get(tracking_code=codes[0])
    pickup_code = re.search(r":\s*([A-Z0-9]{6})\s*$", message.body, re.MULTILINE).group(1)
    assert pickup_code == parcel.pickup_code
    (qr_png,) = [
        part.get_payload(decode=True) for part in message.message().walk() if part.get_content_type() == "image/png"
    ]

    # when: she holds the QR from her e-mail to the desk: the page decodes the e-mail's PNG with the same jsQR the
    # till's camera uses, and the wedge scanner types what it reads, then Enter; staff scan her parcel and hand it out
    page.goto(f"{base}/afgifte/")
    scanned_payload = decode_qr_in_page(page, live_server.url, qr_png)
    assert parcel.pickup_token and parcel.pickup_token in scanned_payload
    code_field = page.locator("[data-scan-input]")
    code_field.press_sequentially(scanned_payload)
    code_field.press("Enter")
    parcel_scan = page.locator("[data-parcel-scan]")
    parcel_scan.wait_for()
    assert page.locator(f"#parcel-{parcel.pk}").is_checked() is False
    parcel_scan.press_sequentially(codes[0])
    parcel_scan.press("Enter")
    assert page.locator(f"#parcel-{parcel.pk}").is_checked()
    parcel_scan.press("Enter")
    page.wait_for_url(f"{base}/afgifte/")
    assert "meegegeven" in page.locator(".messages").inner_text()

    # then: the parcel was handed out, and its history shows received → stored → picked up, at this desk
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.PICKED_UP
    page.goto(f"{base}/pakket/{parcel.pk}/")
    kinds = [row.get_attribute("data-event") for row in page.locator("[data-event]").all()]
    assert kinds == ["received", "stored", "picked_up"]
    assert page.locator("tr[data-event] >> text=balie-1").count() == 3
