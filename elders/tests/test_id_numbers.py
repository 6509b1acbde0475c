import datetime

import pytest
from django.core.exceptions import ValidationError

from elders.id_numbers import gender_of, make_id_number, mask, validate_id_number

SAMPLE = "11010519491231002X"  # the standard's own example


def test_it_accepts_the_standards_example_and_a_lowercase_x():
    assert validate_id_number(SAMPLE) == SAMPLE
    assert validate_id_number(" 11010519491231002x ") == SAMPLE


@pytest.mark.parametrize(
    "value, code",
    [
        ("1101051949123100", "length"),
        ("11010519491231002X1", "length"),
        ("01010519491231002X", "shape"),
        ("1101051949123100AX", "shape"),
        ("110105194902300021", "birth_date"),  # 30 February
        ("110105188001010021", "birth_date"),  # before 1890
        ("110105194912310021", "checksum"),
    ],
)
def test_it_names_what_is_wrong(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert exc.value.code == code


def test_it_checks_birth_date_and_gender_against_the_form():
    with pytest.raises(ValidationError) as exc:
        validate_id_number(SAMPLE, birth_date=datetime.date(1949, 12, 30))
    assert exc.value.code == "birth_date_mismatch"
    with pytest.raises(ValidationError) as exc:
        validate_id_number(SAMPLE, gender="M")  # 17th digit 2: female
    assert exc.value.code == "gender_mismatch"
    assert validate_id_number(
        SAMPLE, birth_date=datetime.date(1949, 12, 31), gender="F"
    )


def test_it_masks_all_but_the_last_four():
    # Not the region: with the birth date shown beside it, region + tail would
    # leave only three digits to guess.
    assert mask(SAMPLE) == "**************002X"
    assert mask(SAMPLE[-4:]) == "**************002X"
    assert mask("") == ""


def test_generated_numbers_are_valid_and_carry_the_gender():
    for n in range(300):
        for gender in "MF":
            number = make_id_number("320102", datetime.date(1940, 2, 29), n, gender)
            assert validate_id_number(number, gender=gender) == number
            assert gender_of(number) == gender
