"""Evidence of a rectification: PDF, JPEG or PNG only, at most 10 MB.

The same check as an agreement's signed scan (``services.scans``): the type is
read from the file's first bytes, never trusted from its name or the browser,
and the extension must agree with it. The file is stored by
``services.models.PrivateStorage`` (no URL) and read through the scoped
``inspections:evidence`` view.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from services.scans import MAX_SCAN_BYTES, SCAN_TYPES, sniff

EXTENSIONS = tuple(f".{e}" for _m, exts in SCAN_TYPES.values() for e in exts)


def check_evidence(upload) -> str:
    """The file's content type; ``ValidationError`` on the ``evidence`` field."""
    if upload.size > MAX_SCAN_BYTES:
        raise ValidationError(
            {"evidence": [_("The file is larger than 10 MB. Scan it smaller.")]}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff(head)
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if content_type is None or extension not in SCAN_TYPES[content_type][1]:
        raise ValidationError(
            {"evidence": [_("Upload the evidence as a PDF, JPEG or PNG file.")]}
        )
    return content_type
