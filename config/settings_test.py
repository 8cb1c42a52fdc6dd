"""Settings for the test suite: the production settings with test-only defaults."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_URLS", "1")
# The test client speaks plain HTTP; production redirects it to HTTPS.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# Personal data keys (complaints/encryption.py), in the environment so that the
# production-settings subprocesses some tests start inherit them too.
os.environ.setdefault("PERSONAL_DATA_KEYS", "dGVzdC1vbmx5LXBlcnNvbmFsLWRhdGEta2V5LTAwMDE=")
os.environ.setdefault("PERSONAL_DATA_HASH_KEY", "dGVzdC1vbmx5LWxvb2t1cC1oYXNoLWtleS0wMDAwMDE=")

from .settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True

# Evidence files of the test run go to a throwaway directory, removed at exit.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

EVIDENCE_ROOT = Path(tempfile.mkdtemp(prefix="weiquan-test-evidence-"))  # noqa: F405
atexit.register(shutil.rmtree, EVIDENCE_ROOT, ignore_errors=True)
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": EVIDENCE_ROOT, "base_url": None},
    },
}
EVIDENCE_SIGNING_KEY = EVIDENCE_ROOT / "keys" / "evidence-ed25519.pem"
EVIDENCE_GENERATE_KEY = True
AGREEMENT_SIGNING_KEY = EVIDENCE_ROOT / "keys" / "agreement-signing.key"
AGREEMENT_SIGNING_CERT = EVIDENCE_ROOT / "keys" / "agreement-signing.crt"
AGREEMENT_GENERATE_KEY = True
