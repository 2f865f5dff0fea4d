"""Product photos: the file is checked for what it is (not its name) and for its pixels before it is decoded, stored
with renditions in RGB (400 and 1200 pixels wide, WebP and JPEG, never wider than the original), and the shop's
pages show the renditions through srcset, never the upload."""

import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from shop.exceptions_merchant import InvalidProduct
from shop.models import ProductImage
from shop.services import products

from .factories import variant_of
from .merchant_fixtures import product, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _upload(name: str, size=(8, 8), mode="RGB", fmt="PNG", colour="#c33") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, colour if mode != "CMYK" else (0, 200, 200, 0)).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _png_header_only(width: int, height: int) -> SimpleUploadedFile:
    """A tiny PNG file that says it is width × height (a "decompression bomb" as far as its header goes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    content = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    return SimpleUploadedFile("big_dims.png", content, content_type="image/png")


@pytest.mark.parametrize("size", [(12_000, 12_000), (30_000, 30_000)])
def test_a_photo_of_too_many_pixels_is_refused_before_it_is_decoded(merchant, size):
    item = product(merchant)
    with pytest.raises(InvalidProduct) as refused:
        products.add_photo(product=item, by=staff_of(merchant), image=_png_header_only(*size), alt_nl="Groot")
    assert "50 megapixels" in refused.value.message
    assert not ProductImage.objects.exists()


def test_the_files_real_format_counts_not_its_name(merchant, media):
    item, staff = product(merchant), staff_of(merchant)
    with pytest.raises(InvalidProduct) as refused:
        products.add_photo(product=item, by=staff, image=_upload("gif_as.png", fmt="GIF"), alt_nl="Gif")
    assert "GIF" in refused.value.message
    with pytest.raises(InvalidProduct):
        products.add_photo(product=item, by=staff, image=SimpleUploadedFile("tekst.jpg", b"geen foto"), alt_nl="Tekst")
    # a PNG called .jpg is kept, under the extension of what it is
    photo = products.add_photo(product=item, by=staff, image=_upload("foto.JPG", fmt="PNG"), alt_nl="Kaas")
    assert photo.image.name.endswith(".png")


def test_renditions_are_rgb_at_two_widths_and_never_wider_than_the_photo(merchant, media):
    item, staff = product(merchant), staff_of(merchant)
    # a CMYK JPEG, as print shops send them
    photo = products.add_photo(
        product=item, by=staff, image=_upload("cmyk.jpg", size=(2000, 1000), mode="CMYK", fmt="JPEG"), alt_nl="Jas"
    )
    assert (photo.width, photo.height) == (2000, 1000)
    assert sorted(photo.renditions, key=int) == ["400", "1200"]
    for width, files in photo.renditions.items():
        for kind, name in files.items():
            with default_storage.open(name) as file, Image.open(file) as rendition:
                assert (rendition.format, rendition.mode) == ({"webp": "WEBP", "jpeg": "JPEG"}[kind], "RGB")
                assert rendition.size == (int(width), int(width) // 2)
    small = products.add_photo(product=item, by=staff, image=_upload("klein.png", size=(300, 200)), alt_nl="Klein")
    assert list(small.renditions) == ["300"]


def test_removing_a_photo_removes_its_renditions(merchant, media, django_capture_on_commit_callbacks):
    item, staff = product(merchant), staff_of(merchant)
    photo = products.add_photo(product=item, by=staff, image=_upload("foto.png", size=(900, 600)), alt_nl="Foto")
    names = [photo.image.name, *(name for files in photo.renditions.values() for name in files.values())]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        products.remove_photo(photo=photo, by=staff)
    assert not any(default_storage.exists(name) for name in names)


def test_the_shop_shows_renditions_through_srcset_never_the_upload(client, area, baker, media):
    variant = variant_of(baker, slug="jas", title_nl="Regenjas")
    photo = products.add_photo(
        product=variant.product,
        by=staff_of(baker),
        image=_upload("jas.png", size=(1600, 1200)),
        alt_nl="Een gele regenjas",
    )
    for page in (
        client.get(reverse("shop:product", args=[baker.slug, "jas"])).content.decode(),
        client.get(reverse("shop:merchant", args=[baker.slug])).content.decode(),  # the product cards
    ):
        assert '<source type="image/webp" srcset="' in page and " 1200w" in page and " 400w" in page
        assert 'width="1600" height="1200"' in page and 'alt="Een gele regenjas"' in page
        assert photo.image.url not in page


def test_older_photos_get_their_renditions_and_an_oversized_one_is_left_out(client, area, baker, media):
    small = variant_of(baker, slug="pet", title_nl="Pet").product
    huge = variant_of(baker, slug="sjaal", title_nl="Sjaal").product
    ok_name = default_storage.save("shop/products/old.png", _upload("old.png", size=(800, 600)))
    bomb_name = default_storage.save("shop/products/bomb.png", _png_header_only(12_000, 12_000))
    ProductImage.objects.create(product=small, image=ok_name, alt_nl="Pet")
    ProductImage.objects.create(product=huge, image=bomb_name, alt_nl="Sjaal")
    call_command("shop_photo_renditions", stdout=io.StringIO(), stderr=io.StringIO())
    assert list(ProductImage.objects.get(product=small).renditions) == ["400", "800"]
    assert "refused" in ProductImage.objects.get(product=huge).renditions
    page = client.get(reverse("shop:product", args=[baker.slug, "sjaal"])).content.decode()
    assert "bomb.png" not in page
