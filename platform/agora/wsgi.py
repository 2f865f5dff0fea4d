"""WSGI entry point: `gunicorn agora.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")

application = get_wsgi_application()
