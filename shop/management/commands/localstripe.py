"""`manage.py localstripe`: run localstripe on STRIPE_API_BASE's port, its webhooks pointed at this site.

Used by `dev.py demo` (as a child process) so a checkout works offline; stops with Ctrl-C or SIGTERM.
"""

import signal
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shop.payments.localstripe_process import LocalStripe


class Command(BaseCommand):
    help = "Run localstripe (a local stand-in for Stripe) for the demo, with webhooks to this site."

    def add_arguments(self, parser):
        parser.add_argument("--webhook-url", default="http://localhost:8000/shop/stripe/webhook/")

    def handle(self, *args, webhook_url, **options):
        base = urlparse(settings.STRIPE_API_BASE or "")
        if base.hostname not in ("127.0.0.1", "localhost") or not base.port:
            raise CommandError(f"STRIPE_API_BASE is not a local address with a port: {settings.STRIPE_API_BASE!r}")
        server = LocalStripe(port=base.port)
        try:
            server.start()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        try:
            server.configure_webhook(url=webhook_url, secret=settings.STRIPE_WEBHOOK_SECRET)
            self.stdout.write(f"localstripe on {server.base_url}, webhooks to {webhook_url}")
            signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
            server.process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
