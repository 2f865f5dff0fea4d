"""A product photo as the pages show it: the renditions in WebP with JPEG beside it (`srcset`, the browser takes
the width it needs), never the file as uploaded. A photo without renditions (a row from before them) is shown as
stored while its size is unknown or small; a large one, or one `shop_photo_renditions` refused, is left out rather
than sent to a phone."""

from django import template
from django.utils.html import format_html, format_html_join

from agora.languages import in_page_language

register = template.Library()

#: the widest stored photo without renditions that is still sent as it is
MAX_PLAIN_WIDTH = 2400


def _alt(photo) -> str:
    return in_page_language(photo.alt_nl, photo.alt_en)


def _srcset(storage, renditions: dict, kind: str) -> str:
    return ", ".join(f"{storage.url(files[kind])} {width}w" for width, files in sorted(renditions.items(), key=_width))


def _width(item) -> int:
    return int(item[0])


@register.simple_tag
def product_photo(photo, sizes: str = "100vw", loading: str = "lazy", css_class: str = ""):
    """<picture> with the photo's renditions; its width and height attributes give the page the photo's shape
    before it loads."""
    storage = photo.image.storage
    renditions = photo.renditions or {}
    if "refused" in renditions:  # an older photo over the limits (manage.py shop_photo_renditions)
        return ""
    attributes = {"alt": _alt(photo), "loading": loading, "decoding": "async"}
    if css_class:
        attributes["class"] = css_class
    if photo.width and photo.height:
        attributes |= {"width": photo.width, "height": photo.height}
    if not renditions:
        if photo.width and photo.width > MAX_PLAIN_WIDTH:
            return ""
        attributes["src"] = photo.image.url
        return format_html("<img{}>", format_html_join("", ' {}="{}"', attributes.items()))
    smallest = min(renditions.items(), key=_width)[1]
    attributes |= {"src": storage.url(smallest["jpeg"]), "srcset": _srcset(storage, renditions, "jpeg"), "sizes": sizes}
    return format_html(
        '<picture><source type="image/webp" srcset="{}" sizes="{}"><img{}></picture>',
        _srcset(storage, renditions, "webp"),
        sizes,
        format_html_join("", ' {}="{}"', attributes.items()),
    )
