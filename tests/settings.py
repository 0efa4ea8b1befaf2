"""Test settings: a throw-away data folder and a fast password hasher."""

import os
import tempfile

os.environ.setdefault("HUZHU_DATA_DIR", tempfile.mkdtemp(prefix="huzhu-test-"))

from huzhu.settings import *  # noqa: E402,F403

# First, so that its `flush` is found before Django's (tests/dbtools/management/commands).
INSTALLED_APPS = ["tests.dbtools", *INSTALLED_APPS]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUZHU_SMS_SENDER = "huzhu.members.sms.OutboxSender"
HUZHU_SIMULATED_BANK = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
