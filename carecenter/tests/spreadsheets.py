"""Checks of exported workbooks shared by the apps' export tests."""

import io

from openpyxl import load_workbook

#: What an attacker would type as a name (PRODUCT.md: "Exports never contain
#: formulas"): a live link, a command, and the other leading characters.
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+cmd|'/C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
]


def cells(content: bytes) -> list:
    """Every cell of every sheet of an .xlsx file."""
    book = load_workbook(io.BytesIO(content))
    return [
        cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
    ]


def assert_no_formula(content: bytes, *, expect: str) -> None:
    """No cell is a formula, and the hostile text ``expect`` is there as text."""
    found = cells(content)
    formulas = [c.coordinate for c in found if c.data_type == "f"]
    assert formulas == [], f"formula cells: {formulas}"
    texts = [c.value for c in found if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert any(expect in t for t in texts), f"{expect!r} not exported"
