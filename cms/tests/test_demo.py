"""The demo's website content: the wipe leaves no drawn banner behind, neither the rows nor the files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from wagtail.images.models import Image
from wagtail.models import Collection

from areas.demo import seed_demo, wipe_demo
from privacy.default_purposes import ensure_default_purposes


@pytest.mark.django_db
def test_the_demo_wipe_deletes_the_banner_images_and_their_files(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    # given: the tiny demo, with a banner drawn for each town
    settings.MEDIA_ROOT = tmp_path
    ensure_default_purposes()
    seed_demo(seed=1, size="tiny", today=dt.date(2026, 11, 22), only=["cms"], log=lambda _line: None)
    banners = list(Image.objects.filter(title__endswith=" banner"))
    files = [Path(banner.file.path) for banner in banners]
    assert len(banners) == 2 and all(file.exists() for file in files)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        wipe_demo(log=lambda _line: None)

    # then: no image row, no file, no town collection left
    assert not Image.objects.exists()
    assert not any(file.exists() for file in files)
    assert not Collection.objects.filter(name__in=["Binnenstad Amersfoort", "Binnenstad Mechelen"]).exists()
    assert Collection.objects.filter(depth=1).exists()  # Wagtail's root collection stays
