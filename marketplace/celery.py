import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

# `make run`'s embedded broker (marketplace/broker.py), loaded on the first connection.
TRANSPORT_ALIASES.setdefault("sqlite", "marketplace.broker:Transport")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

app = Celery("marketplace")
# Every Celery setting lives in Django settings under the CELERY_ prefix (one place, env-driven).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
