"""The member app's icon as a PNG, for the places that take no SVG.

`templates/loyalty/icon.svg` is the icon: the area's initial in a white circle on its colour, with a bar in its
accent colour. Browsers that install the app from the manifest read that SVG; an iPhone's home screen does not (it
wants a PNG `apple-touch-icon`, else it shows a screenshot of the page), nor does an Android launcher that reads the
manifest's sized icons. This draws the same picture with Pillow, at the sizes those ask for.

The letter is drawn in Pillow's own scalable font, so no system font is needed; the picture is drawn at twice the
size and scaled down, which smooths its edges.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

SIZES = (180, 192, 512)  # iPhone home screen; the manifest's two sizes Android asks for

_CANVAS = 512  # the SVG's viewBox: every measure below is on it
_OVERSAMPLE = 2


def icon_png(*, initial: str, colour: str, accent: str, size: int, maskable: bool) -> bytes:
    """The icon at `size` pixels square, as PNG bytes.

    `maskable`: the full square in the area's colour with the picture inside the safe zone, for platforms that cut
    their own shape out of it (Android's adaptive icons, an iPhone's rounded corners); otherwise rounded corners.
    """
    if size not in SIZES:
        raise ValueError(f"No icon of {size} pixels.")
    scale = size * _OVERSAMPLE / _CANVAS
    side = round(_CANVAS * scale)
    image = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)

    def at(value: float) -> int:
        return round(value * scale)

    if maskable:
        draw.rectangle((0, 0, side, side), fill=colour)
    else:
        draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=at(96), fill=colour)
    radius = 150 if maskable else 190
    draw.ellipse((at(256 - radius), at(256 - radius), at(256 + radius), at(256 + radius)), fill="#ffffff")
    font = ImageFont.load_default(size=at(190 if maskable else 240))
    draw.text((at(256), at(256)), initial, font=font, fill=colour, anchor="mm", stroke_width=at(8), stroke_fill=colour)
    bar_top = 362 if maskable else 400
    draw.rounded_rectangle((at(136), at(bar_top), at(376), at(bar_top + 24)), radius=at(12), fill=accent)

    image = image.resize((size, size), Image.Resampling.LANCZOS)
    if maskable:
        image = image.convert("RGB")  # no transparency: a home screen would fill it with black
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
