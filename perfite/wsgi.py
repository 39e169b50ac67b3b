"""WSGI entry point (gunicorn perfite.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfite.settings")
application = get_wsgi_application()
