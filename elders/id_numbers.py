"""Resident ID numbers (居民身份证号码, GB 11643-1999): validation, storage, masking.

PRODUCT.md, "Personal data": the number is encrypted at rest, with a keyed blind
index for uniqueness and search; whoever is not the station's manager or an
administrator sees at most its last four characters, and volunteers see neither
the number nor the birth date. This module is the one place that says how:

* ``seal`` / ``unseal``: the stored form (``carecenter.encryption``): ciphertext,
  blind index, last four characters. ``indexes_of`` finds a number by its index.
* ``mask``: what a viewer who may not see the number whole sees. Only the last
  four characters: the region (characters 1–6) and the sequence stay hidden, so a
  mask cannot be combined with the birth date shown beside it to rebuild the
  number (the birth date *is* characters 7–14).
* ``shown``: the number as one viewer may see it (whole, masked, or nothing), the
  rule that pages, the API, exports, the history and the import preview ask;
  ``carecenter.scoping`` says who is who.

Validation is our own short check rather than python-stdnum's: stdnum also
demands that the region code existed in the birth year, which rejects most
elders' real numbers (their regions were renamed or merged since).
"""

from __future__ import annotations

import datetime
import re
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter import encryption

#: Names the stored field in its ciphertext and blind index (see encryption).
FIELD = "elders.Elder.id_number"
#: Characters a mask keeps: the last four.
SHOWN_CHARACTERS = 4
#: The duplicate message names no station: whoever asks learns that the number is
#: on file in the district (the uniqueness rule), not where.
ALREADY_REGISTERED = gettext_lazy(
    "This resident ID number is already registered. If the elder moved here "
    "from another station, ask the district to transfer the archive."
)

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^[1-8]\d{16}[\dX]$")


def check_character(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalize(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def birth_date_of(number: str) -> datetime.date | None:
    try:
        return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def gender_of(number: str) -> str:
    """``M`` when the 17th digit is odd, ``F`` when even."""
    return "M" if int(number[16]) % 2 else "F"


def validate_id_number(
    value: str,
    *,
    birth_date: datetime.date | None = None,
    gender: str | None = None,
) -> str:
    """The normalised number, or ``ValidationError`` saying exactly what is wrong."""
    number = normalize(value)
    if len(number) != 18:
        raise ValidationError(
            _("A resident ID number has 18 characters; this one has %(n)d.")
            % {"n": len(number)},
            code="length",
        )
    if not _SHAPE.match(number):
        raise ValidationError(
            _("A resident ID number is 17 digits followed by a digit or X."),
            code="shape",
        )
    born = birth_date_of(number)
    if born is None or born.year < 1900 or born > datetime.date.today():
        raise ValidationError(
            _("Characters 7 to 14 of the ID number are not a real birth date."),
            code="birth_date",
        )
    if check_character(number[:17]) != number[17]:
        raise ValidationError(
            _(
                "The check character of this ID number is wrong: "
                "please re-read the card."
            ),
            code="checksum",
        )
    if birth_date is not None and born != birth_date:
        raise ValidationError(
            _("The ID number gives the birth date %(date)s, not the one entered.")
            % {"date": born.isoformat()},
            code="birth_date_mismatch",
        )
    if gender is not None and gender_of(number) != gender:
        raise ValidationError(
            _("The ID number does not match the gender entered."),
            code="gender_mismatch",
        )
    return number


def mask(last4: str) -> str:
    """``**************123X``: the last four characters of an 18-character number.

    Takes the stored last four (``elder.id_number_last4``), or a whole number, of
    which it keeps the last four.
    """
    if not last4:
        return ""
    return "*" * (18 - SHOWN_CHARACTERS) + last4[-SHOWN_CHARACTERS:]


# --- Storage -------------------------------------------------------------------------


class Sealed(NamedTuple):
    encrypted: bytes
    index: bytes
    last4: str


def seal(number: str) -> Sealed:
    """The stored form of ``number``: ciphertext, blind index, last four."""
    if not number:
        return Sealed(b"", b"", "")
    return Sealed(
        encryption.encrypt(number, field=FIELD),
        encryption.blind_index(normalize(number), field=FIELD),
        number[-SHOWN_CHARACTERS:],
    )


def unseal(token) -> str:
    return encryption.decrypt(token, field=FIELD)


def indexes_of(number: str) -> list[bytes]:
    """The blind indexes that find ``number`` (one per configured key)."""
    return encryption.blind_indexes(normalize(number), field=FIELD)


def looks_like_id_number(text: str) -> bool:
    """An 18-character number or its 4-character tail, as typed into a search box."""
    value = normalize(text)
    return bool(_SHAPE.match(value)) or bool(re.fullmatch(r"\d{3}[\dX]", value))


# --- Who sees what ------------------------------------------------------------------


def shown(user, elder, *, whole: bool = True) -> str | None:
    """``elder``'s ID number as ``user`` may see it.

    The whole number for the station's manager and administrators (``whole``
    False: masked for them too, as pages show it until revealed), the last four
    characters to the station's staff and the district's supervisors, and
    ``None`` to whoever reads the elder only as a paired volunteer.
    """
    from carecenter.scoping import may_read_archive, may_see_id_numbers

    if not may_read_archive(user, elder):
        return None
    if whole and may_see_id_numbers(user, elder.station):
        return elder.id_number
    return mask(elder.id_number_last4)


def make_id_number(
    region: str, birth_date: datetime.date, sequence: int, gender: str
) -> str:
    """A valid number for demo data and tests (sequence's last digit set by gender)."""
    seq = sequence % 100 * 10 + (1 if gender == "M" else 0) + (sequence // 100 % 5) * 2
    first17 = f"{region}{birth_date:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_character(first17)
