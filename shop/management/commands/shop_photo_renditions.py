"""`manage.py shop_photo_renditions`: make the renditions of product photos stored before the shop made them.

The pages show a photo's renditions (`products.render_photo`); a photo without them is shown as stored while it is
small, and left out when it is large. This makes them once per file (the demo's photos are shared by many
products) and says which photos it could not read or that are over the limits (`products.MAX_PHOTO_PIXELS`): the
merchant should replace those. Safe to run again: photos with renditions are skipped.
"""

from django.core.management.base import BaseCommand

from shop.models import ProductImage
from shop.services.products import make_renditions


class Command(BaseCommand):
    help = "Make the renditions of product photos that have none."

    def handle(self, *args, **options):
        made, refused = 0, []
        while photo := ProductImage.objects.filter(renditions={}).exclude(image__in=refused).order_by("pk").first():
            if make_renditions(photo):
                made += 1
            else:
                refused.append(photo.image.name)
                self.stderr.write(f"not made: photo {photo.pk} of product {photo.product_id} ({photo.image.name})")
        self.stdout.write(f"renditions made for {made} file(s); {len(refused)} refused")
