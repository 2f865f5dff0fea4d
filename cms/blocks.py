"""StreamField blocks of the area websites (bakerydemo's shape: small blocks, one template each)."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


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


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("text"), max_length=200)
    label = blocks.CharBlock(label=_("button label"), max_length=60)
    page = blocks.PageChooserBlock(label=_("page"), required=False)
    url = blocks.CharBlock(
        label=_("or a link"), required=False, max_length=200, help_text=_("A path on this site, e.g. /nl/mijn/join/.")
    )

    class Meta:
        icon = "link"
        label = _("Call to action")
        template = "cms/blocks/call_to_action.html"


class ParkingGarageBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("name"), max_length=120)
    address = blocks.CharBlock(label=_("address"), max_length=200, required=False)
    spaces = blocks.IntegerBlock(label=_("spaces"), required=False, min_value=0)
    hourly_rate_cents = blocks.IntegerBlock(label=_("rate per hour (cents)"), min_value=0)
    day_rate_cents = blocks.IntegerBlock(label=_("day rate (cents)"), required=False, min_value=0)
    opening = blocks.CharBlock(label=_("open"), max_length=120, required=False, help_text=_("For example “24/7”."))

    class Meta:
        icon = "site"
        label = _("Car park")


class ParkingBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=120, default=_("Parking"))
    text = blocks.RichTextBlock(label=_("text"), required=False, features=["bold", "italic", "link", "ul"])
    garages = blocks.ListBlock(ParkingGarageBlock(), label=_("car parks and rates"))

    class Meta:
        icon = "site"
        label = _("Parking with rates")
        template = "cms/blocks/parking.html"


class StopBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("stop or station"), max_length=120)
    lines = blocks.CharBlock(label=_("lines"), max_length=200, required=False)
    walking_minutes = blocks.IntegerBlock(label=_("minutes' walk to the centre"), required=False, min_value=0)


class PublicTransportBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=120, default=_("Public transport"))
    text = blocks.RichTextBlock(label=_("text"), required=False, features=["bold", "italic", "link", "ul"])
    stops = blocks.ListBlock(StopBlock(), label=_("stops"))

    class Meta:
        icon = "list-ul"
        label = _("Public transport")
        template = "cms/blocks/public_transport.html"


class ToiletBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("where"), max_length=120)
    opening = blocks.CharBlock(label=_("open"), max_length=120, required=False)
    is_accessible = blocks.BooleanBlock(label=_("wheelchair accessible"), required=False)
    fee_cents = blocks.IntegerBlock(label=_("fee (cents)"), required=False, min_value=0)


class ToiletsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=120, default=_("Toilets"))
    toilets = blocks.ListBlock(ToiletBlock(), label=_("toilets"))

    class Meta:
        icon = "pick"
        label = _("Toilets")
        template = "cms/blocks/toilets.html"


class AccessibilityBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=120, default=_("Accessibility"))
    text = blocks.RichTextBlock(label=_("text"), required=False, features=["bold", "italic", "link", "ul"])
    features = blocks.ListBlock(blocks.CharBlock(max_length=200), label=_("facilities"))

    class Meta:
        icon = "user"
        label = _("Accessibility")
        template = "cms/blocks/accessibility.html"


class BodyBlock(blocks.StreamBlock):
    """Rich text, images and calls to action: the body of news, offers, events and simple pages."""

    heading = blocks.CharBlock(label=_("Heading"), max_length=120, template="cms/blocks/heading.html")
    paragraph = blocks.RichTextBlock(
        label=_("Text"), features=["h3", "bold", "italic", "link", "ol", "ul"], template="cms/blocks/paragraph.html"
    )
    image = ImageBlock()
    call_to_action = CallToActionBlock()


class PracticalBlock(BodyBlock):
    """A practical information page: everything of the body plus parking, transport, toilets, accessibility."""

    parking = ParkingBlock()
    public_transport = PublicTransportBlock()
    toilets = ToiletsBlock()
    accessibility = AccessibilityBlock()
