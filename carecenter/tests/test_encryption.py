"""Keys of the encrypted personal fields (carecenter.encryption)."""

import os
import stat
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from carecenter import encryption


def _settings_import(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "FIELD_ENCRYPTION_KEY"}
    return subprocess.run(
        [sys.executable, "-c", "import carecenter.settings"],
        env={**base, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_key():
    result = _settings_import({"DEBUG": "0", "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY" in result.stderr


def test_production_starts_with_keys():
    keys = f"{encryption.new_key()},{encryption.new_key()}"
    result = _settings_import(
        {"DEBUG": "0", "SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEY": keys}
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("value", ["short", "not base64 at all!!", "a,a"])
def test_a_malformed_key_is_refused_with_a_message(value):
    if value == "a,a":
        key = encryption.new_key()
        value = f"{key},{key}"
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY"):
        encryption.parse_keys(value)


def test_the_quick_start_key_is_made_once_and_kept_private(tmp_path):
    path = tmp_path / "var" / "field-encryption.key"
    first = encryption.development_key(path)
    assert encryption.parse_keys(first) == (first,)
    assert encryption.development_key(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_every_listed_key_decrypts_and_the_first_encrypts(settings):
    old, new = encryption.new_key(), encryption.new_key()
    settings.FIELD_ENCRYPTION_KEYS = (old,)
    token = encryption.encrypt("110105194912310021", field="f")
    settings.FIELD_ENCRYPTION_KEYS = (new, old)
    assert encryption.decrypt(token, field="f") == "110105194912310021"
    fresh = encryption.encrypt("110105194912310021", field="f")
    assert encryption.key_id_of(fresh) == encryption.current_key_id()
    assert encryption.key_id_of(fresh) != encryption.key_id_of(token)
    # the blind index differs per key; both are searched mid-rotation
    indexes = encryption.blind_indexes("110105194912310021", field="f")
    assert len(set(indexes)) == 2
