"""Settings for the test suite: the production settings with test conveniences.

Static files are served unhashed (no ``collectstatic`` before ``live_server``),
passwords hash fast, cookies travel over the live server's plain HTTP, and tasks
run eagerly unless a test starts a real worker.
"""

import os

os.environ.setdefault(
    "SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
)
# A fixed key, so that every test run (and CI) encrypts alike; never used elsewhere.
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEY", "dGVzdC1vbmx5LWZpZWxkLWtleS0wMTIzNDU2Nzg5YWI"
)

from carecenter.settings import *
from carecenter.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Parallel runs (several checkouts, several developers) each name their own.
DATABASES["default"]["TEST"] = {
    "NAME": os.environ.get("CARECENTER_TEST_DB", "test_carecenter")
}
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
CELERY_TASK_ALWAYS_EAGER = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Django's PostgreSQL backend with a flush that may empty the voucher ledger.
DATABASES["default"]["ENGINE"] = "carecenter.testdb"
