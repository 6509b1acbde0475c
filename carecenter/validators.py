"""Plausibility rules shared by every model that holds people's data.

Model-field validators, so that forms, the API (through the actions'
``full_clean``) and the roster import refuse the same things with the same words.
"""

from __future__ import annotations

import datetime
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

#: No date a station records about a living person lies before this year.
EARLIEST_YEAR = 1900
#: Nobody on file is older than this (the oldest people alive are about 117).
OLDEST_AGE = 120


def _has_control_characters(value: str) -> bool:
    # Cc: C0/C1 controls (tabs, newlines, escapes), Cf: invisible format marks
    # (zero-width spaces, direction overrides) that make two names look alike.
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in value)


@deconstructible
class NoControlCharacters:
    """A one-line text (a name, a phone number) without control or invisible
    characters: they hide in spreadsheets, logs and printed lists."""

    message = _("Remove the control or invisible characters from this text.")
    code = "control_characters"

    def __call__(self, value) -> None:
        if value and _has_control_characters(str(value)):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, NoControlCharacters)


no_control_characters = NoControlCharacters()


def plausible_date(value: datetime.date | None) -> None:
    """A date of a person's life: not before 1900."""
    if value is not None and value.year < EARLIEST_YEAR:
        raise ValidationError(
            _("A date before %(year)d is not plausible: check the year."),
            code="implausible_year",
            params={"year": EARLIEST_YEAR},
        )


def plausible_birth_date(value: datetime.date | None) -> None:
    """A living person's birth date: not before 1900, at most 120 years ago."""
    plausible_date(value)
    if value is None:
        return
    from django.utils import timezone

    today = timezone.localdate()
    age = (
        today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    )
    if age > OLDEST_AGE:
        raise ValidationError(
            _("An age over %(age)d years is not plausible: check the birth date."),
            code="implausible_age",
            params={"age": OLDEST_AGE},
        )


def reading_errors(
    *, systolic: int | None, diastolic: int | None, blood_sugar
) -> dict[str, str]:
    """Plausibility of a blood pressure / blood sugar reading, by field.

    The one rule for a volunteer's visit and a staff member's reading; the
    tables' check constraints say the same.
    """
    errors: dict[str, str] = {}
    if (systolic is None) != (diastolic is None):
        errors["systolic"] = _("Give both blood pressure values, or neither.")
    elif systolic is not None and not (
        50 <= systolic <= 300 and 20 <= diastolic <= 200 and systolic > diastolic
    ):
        errors["systolic"] = _("These blood pressure values are not plausible.")
    if blood_sugar is not None and not (1 <= blood_sugar <= 40):
        errors["blood_sugar"] = _("Blood sugar is given in mmol/L, between 1 and 40.")
    return errors
