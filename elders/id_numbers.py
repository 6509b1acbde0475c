"""Resident ID numbers (居民身份证号码, GB 11643-1999): validation, masking, generation.

Our own short check rather than python-stdnum's: stdnum also demands that the
region code existed in the birth year, which rejects most elders' real numbers
(their regions were renamed or merged since).
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
    if born is None or born.year < 1890 or born > datetime.date.today():
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


def mask(number: str) -> str:
    """``110105********123X``: the region and the last four only."""
    if not number:
        return ""
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"


def make_id_number(
    region: str, birth_date: datetime.date, sequence: int, gender: str
) -> str:
    """A valid number for demo data and tests (sequence's last digit set by gender)."""
    seq = sequence % 100 * 10 + (1 if gender == "M" else 0) + (sequence // 100 % 5) * 2
    first17 = f"{region}{birth_date:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_character(first17)
