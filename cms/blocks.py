"""StreamField blocks of the area websites (bakerydemo's shape: small blocks, one template each)."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from shop.forms_merchant import EuroField

#: The rich-text features of the text blocks: headings only in the body's own text, links to pages, addresses and
#: the area's documents (a parking-rates PDF, an event's programme) everywhere.
TEXT_FEATURES = ["bold", "italic", "link", "document-link", "ul"]
BODY_TEXT_FEATURES = ["h3", "bold", "italic", "link", "document-link", "ol", "ul"]


class EuroBlock(blocks.FieldBlock):
    """An amount typed in euros ("2,90" or "2.90") and stored as integer cents, as money is everywhere else: the
    templates' `euros` filter shows it. Stored values stay cents, so pages saved when the editor asked for cents
    read the same."""

    def __init__(self, required=True, help_text=None, **kwargs):
        self.field = EuroField(required=required, help_text=help_text)
        super().__init__(**kwargs)

    def to_python(self, value):
        return None if value in (None, "") else int(value)

    def value_for_form(self, value):
        # Stored cents as the euros the editor types ("2,90"), also when a stored value is cleaned again.
        return self.field.prepare_value(value)

    class Meta:
        icon = "decimal"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("image"))
    alt_text = blocks.CharBlock(
        label=_("text alternative"), max_length=200, help_text=_("What the image shows, for screen readers.")
    )
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=200)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "cms/blocks/image.html"


def is_safe_link(url: str) -> bool:
    """A path on this site ("/nl/mijn/join/", not "//elsewhere") or an http(s) address with a host."""
    if url.startswith("/"):
        return not url.startswith("//") and "\\" not in url
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("text"), max_length=200)
    label = blocks.CharBlock(label=_("button label"), max_length=60)
    page = blocks.PageChooserBlock(label=_("page"), required=False)
    url = blocks.CharBlock(
        label=_("or a link"),
        required=False,
        max_length=200,
        help_text=_("A path on this site, e.g. /nl/mijn/join/, or an address starting with https://."),
    )

    class Meta:
        icon = "link"
        label = _("Call to action")
        template = "cms/blocks/call_to_action.html"

    def clean(self, value):
        value = super().clean(value)
        url = (value.get("url") or "").strip()
        if url and not is_safe_link(url):
            raise StructBlockValidationError(
                block_errors={
                    "url": ValidationError(
                        _("Enter a path on this site (starting with /) or an address starting with https://.")
                    )
                }
            )
        # A draft may be saved half done; a published button must lead somewhere (else it reloads the page).
        if not url and not value.get("page") and not self.is_deferred_validation:
            raise StructBlockValidationError(
                block_errors={"page": ValidationError(_("Choose a page or enter a link for the button."))}
            )
        return value


class DocumentBlock(blocks.StructBlock):
    """A link to one of the area's documents (a PDF with the parking rates, an event's programme)."""

    document = DocumentChooserBlock(label=_("document"))
    label = blocks.CharBlock(
        label=_("link text"), required=False, max_length=120, help_text=_("Empty: the document's title.")
    )

    class Meta:
        icon = "doc-full"
        label = _("Document")
        template = "cms/blocks/document.html"


class ParkingGarageBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("name"), max_length=120)
    address = blocks.CharBlock(label=_("address"), max_length=200, required=False)
    spaces = blocks.IntegerBlock(label=_("spaces"), required=False, min_value=0)
    # In euros in the editor, stored as cents (the names say so): 0 reads "free".
    hourly_rate_cents = EuroBlock(label=_("rate per hour (€)"), help_text=_("0 when parking is free."))
    day_rate_cents = EuroBlock(label=_("day rate (€)"), required=False)
    opening = blocks.CharBlock(label=_("open"), max_length=120, required=False, help_text=_("For example “24/7”."))

    class Meta:
        icon = "site"
        label = _("Car park")


class ParkingBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=120, default=_("Parking"))
    text = blocks.RichTextBlock(label=_("text"), required=False, features=TEXT_FEATURES)
    garages = blocks.ListBlock(ParkingGarageBlock(), label=_("car parks and rates"))

    class Meta:
        icon = "site"
        label = _("Parking with rates")
        template = "cms/blocks/parking.html"


class StopBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("stop or station"), max_length=120)
    lines = blocks.CharBlock(label=_("lines"), max_length=200, required=False)
    walking_minutes = blocks.IntegerBlock(
        label=_("minutes' walk to the centre"), required=False, min_value=0, help_text=_("0: in the centre.")
    )


class PublicTransportBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=120, default=_("Public transport"))
    text = blocks.RichTextBlock(label=_("text"), required=False, features=TEXT_FEATURES)
    stops = blocks.ListBlock(StopBlock(), label=_("stops"))

    class Meta:
        icon = "list-ul"
        label = _("Public transport")
        template = "cms/blocks/public_transport.html"


class ToiletBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("where"), max_length=120)
    opening = blocks.CharBlock(label=_("open"), max_length=120, required=False)
    is_accessible = blocks.BooleanBlock(label=_("wheelchair accessible"), required=False)
    fee_cents = EuroBlock(label=_("fee (€)"), required=False, help_text=_("Empty or 0: free."))


class ToiletsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=120, default=_("Toilets"))
    toilets = blocks.ListBlock(ToiletBlock(), label=_("toilets"))

    class Meta:
        icon = "pick"
        label = _("Toilets")
        template = "cms/blocks/toilets.html"


class AccessibilityBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=120, default=_("Accessibility"))
    text = blocks.RichTextBlock(label=_("text"), required=False, features=TEXT_FEATURES)
    features = blocks.ListBlock(blocks.CharBlock(max_length=200), label=_("facilities"))

    class Meta:
        icon = "user"
        label = _("Accessibility")
        template = "cms/blocks/accessibility.html"


class BodyBlock(blocks.StreamBlock):
    """Rich text, images, calls to action and documents: the body of news, offers, events and simple pages."""

    heading = blocks.CharBlock(label=_("Heading"), max_length=120, template="cms/blocks/heading.html")
    paragraph = blocks.RichTextBlock(label=_("Text"), features=BODY_TEXT_FEATURES, template="cms/blocks/paragraph.html")
    image = ImageBlock()
    call_to_action = CallToActionBlock()
    document = DocumentBlock()


class PracticalBlock(BodyBlock):
    """A practical information page: everything of the body plus parking, transport, toilets, accessibility."""

    parking = ParkingBlock()
    public_transport = PublicTransportBlock()
    toilets = ToiletsBlock()
    accessibility = AccessibilityBlock()
