"""The signed scan of an agreement: PDF, JPEG or PNG only, at most 10 MB.

The type is read from the file's first bytes (its magic number), not trusted
from the name or the browser's content type; the extension must agree with it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_SCAN_BYTES = 10 * 1024 * 1024

#: content type: (magic bytes, accepted extensions)
SCAN_TYPES = {
    "application/pdf": (b"%PDF-", ("pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", ("jpg", "jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", ("png",)),
}
EXTENSIONS = tuple(f".{e}" for _m, exts in SCAN_TYPES.values() for e in exts)


def sniff(head: bytes) -> str | None:
    """The content type whose magic number ``head`` starts with, else ``None``."""
    for content_type, (magic, _extensions) in SCAN_TYPES.items():
        if head.startswith(magic):
            return content_type
    return None


def check_scan(upload) -> str:
    """The scan's content type; ``ValidationError`` on the ``scan`` field otherwise."""
    if upload.size > MAX_SCAN_BYTES:
        raise ValidationError(
            {"scan": _("The scan is larger than 10 MB. Scan it at a lower resolution.")}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff(head)
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if content_type is None or extension not in SCAN_TYPES[content_type][1]:
        raise ValidationError(
            {"scan": _("Upload the signed agreement as a PDF, JPEG or PNG file.")}
        )
    return content_type
