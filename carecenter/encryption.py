"""Sensitive personal fields encrypted at rest (PRODUCT.md, "Personal data").

* **Keys** come from ``settings.FIELD_ENCRYPTION_KEYS``, read from the environment
  variable ``FIELD_ENCRYPTION_KEY``: comma-separated keys, each 32 random bytes in
  URL-safe base64 (``python -m carecenter.encryption new-key`` prints one). The
  first key encrypts; every key decrypts, so a new key can be put in front and the
  data re-encrypted at leisure (``manage.py rotate_field_key``).
* **Ciphertext**: AES-256-GCM (``cryptography``), a fresh 96-bit nonce per value,
  the field's name as associated data (a value copied into another field does not
  decrypt). The stored bytes are ``version (1) | key id (4) | nonce (12) |
  ciphertext and tag``; the key id says which key decrypts it and which rows a
  rotation still has to rewrite.
* **Blind index**: HMAC-SHA256 of the normalised value under a key derived from
  the same master key. It is what a unique constraint and an exact search compare,
  without the database ever seeing the value. During a rotation a search asks for
  the index under every key (``blind_indexes``).

Each master key is stretched with HKDF-SHA256 into an encryption key, an index key
and a key id, so one secret per key is all an operator keeps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

VERSION = b"\x01"
KEY_ID_BYTES = 4
NONCE_BYTES = 12
HEADER_BYTES = len(VERSION) + KEY_ID_BYTES
ENV_NAME = "FIELD_ENCRYPTION_KEY"


class DecryptionError(ValueError):
    """A stored value that no configured key opens (a key missing, or tampering)."""


@dataclass(frozen=True)
class FieldKey:
    key_id: bytes
    aead: AESGCM
    index_key: bytes


def _derive(master: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
        master
    )


def parse_keys(value: str | None) -> tuple[str, ...]:
    """The keys of a ``FIELD_ENCRYPTION_KEY`` value, checked; first one encrypts."""
    keys = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured(
                f"{ENV_NAME}: key {position} is not 32 bytes in URL-safe base64 "
                f"(generate one with: python -m carecenter.encryption new-key)."
            )
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured(f"{ENV_NAME} names the same key twice.")
    return keys


@lru_cache(maxsize=8)
def _field_keys(keys: tuple[str, ...]) -> tuple[FieldKey, ...]:
    out = []
    for key in keys:
        master = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
        out.append(
            FieldKey(
                key_id=_derive(master, b"carecenter key id v1", KEY_ID_BYTES),
                aead=AESGCM(_derive(master, b"carecenter field encryption v1", 32)),
                index_key=_derive(master, b"carecenter blind index v1", 32),
            )
        )
    return tuple(out)


def field_keys() -> tuple[FieldKey, ...]:
    """The configured keys, the encrypting one first (settings read at call time)."""
    from django.conf import settings

    keys = tuple(getattr(settings, "FIELD_ENCRYPTION_KEYS", ()) or ())
    if not keys:
        raise ImproperlyConfigured(
            f"{ENV_NAME} is not set: personal fields cannot be encrypted."
        )
    return _field_keys(keys)


def current_key_id() -> bytes:
    return field_keys()[0].key_id


def encrypt(plaintext: str, *, field: str) -> bytes:
    """``plaintext`` sealed under the first key; ``field`` names where it is stored."""
    key = field_keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = key.aead.encrypt(nonce, plaintext.encode(), field.encode())
    return VERSION + key.key_id + nonce + sealed


def key_id_of(token: bytes) -> bytes:
    return bytes(token[1:HEADER_BYTES])


def decrypt(token: bytes | memoryview, *, field: str) -> str:
    """The plaintext of a stored value; ``DecryptionError`` if no key opens it."""
    token = bytes(token)
    if len(token) <= HEADER_BYTES + NONCE_BYTES or token[:1] != VERSION:
        raise DecryptionError("not an encrypted value")
    wanted = key_id_of(token)
    for key in field_keys():
        if key.key_id == wanted:
            nonce = token[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
            try:
                return key.aead.decrypt(
                    nonce, token[HEADER_BYTES + NONCE_BYTES :], field.encode()
                ).decode()
            except InvalidTag:
                raise DecryptionError("the value does not authenticate") from None
    raise DecryptionError(
        f"the key that encrypted this value is not in {ENV_NAME} any more"
    )


def blind_index(value: str, *, field: str, key: FieldKey | None = None) -> bytes:
    """The keyed HMAC of ``value`` that constraints and exact searches compare."""
    key = key or field_keys()[0]
    return hmac.new(
        key.index_key, field.encode() + b"\x00" + value.encode(), hashlib.sha256
    ).digest()


def blind_indexes(value: str, *, field: str) -> list[bytes]:
    """The index of ``value`` under every configured key (found mid-rotation too)."""
    return [blind_index(value, field=field, key=key) for key in field_keys()]


def new_key() -> str:
    """A fresh key for ``FIELD_ENCRYPTION_KEY``."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def development_key(path: Path) -> str:
    """The quick start's key: read from ``path``, created (mode 0600) when missing.

    Only for ``DEBUG``: production takes its keys from the environment.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(new_key() + "\n")
    return path.read_text().strip()


if __name__ == "__main__":  # python -m carecenter.encryption new-key
    if sys.argv[1:] == ["new-key"]:
        print(new_key())
    else:
        sys.exit("usage: python -m carecenter.encryption new-key")
