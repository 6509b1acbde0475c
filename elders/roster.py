"""The station's Excel roster: reading it, the blank template, the filtered export.

PRODUCT.md, "Elder archives": archives are imported from the station's Excel
roster, with every bad row reported and nothing half-imported.

* ``parse_roster`` turns an ``.xlsx`` or ``.csv`` file into ``(row number, field
  values)`` pairs, plus the cells it could not read (a date that is not a date, a
  word that is not a category). It checks nothing else.
* ``roster_import`` hands the rows to ``elders.actions.elders_import``, where every
  field rule and the all-or-nothing write live. A dry run (the preview) runs the
  very same action inside a savepoint that is then rolled back, so the preview
  answers exactly what the real import will.
* ``template_workbook`` is the blank roster to fill in; ``export_workbook`` writes
  the elder list, as filtered on its page, through ``carecenter.exports`` (text
  cells as text, no formula, write-only so that 20,000 elders stay flat).

The roster's column headers and the template's instructions are bilingual by
design (Chinese, with the English key in parentheses): they are the file format
shared by every station, whatever language the page is shown in.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook as TemplateWorkbook
from openpyxl import load_workbook
from openpyxl import xml as openpyxl_xml
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from carecenter.exports import XLSX_CONTENT_TYPE, Workbook
from carecenter.models import Station, User
from carecenter.scoping import may_see_some_id_numbers
from elders import id_numbers
from elders.actions import RosterErrors, elders_import
from elders.id_numbers import make_id_number
from elders.models import (
    Category,
    Gender,
    HealthStatus,
    LivingArrangement,
    Status,
    Tier,
    age_on,
)

EXTENSIONS = (".xlsx", ".csv")

#: Problems that concern the whole file rather than one of its rows.
FILE_ROW = 0

Problems = list[tuple[int, list[str]]]


class CellError(ValueError):
    """A cell whose value cannot be read; the message says what to write instead."""


# --- Reading single cells ------------------------------------------------------------


def _text(value) -> str:
    """A cell as text: whole numbers without ``.0``, dates as ``YYYY-MM-DD``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _key(value) -> str:
    return re.sub(r"\s+", " ", _text(value)).lower()


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
        if number == value and 1 <= number < 100000:
            # A date cell that lost its date format shows Excel's day number.
            return from_excel(number).date()
    text = _text(value)
    # "1945-06-15 00:00:00": a date cell saved to CSV with its time.
    text = re.sub(r"[ T]00:00(:00)?$", "", text)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellError(
        _("“%(value)s” is not a date: write it as YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD.")
        % {"value": text}
    )


_YES = {"是", "yes", "y", "true", "1", "√", "✓"}
_NO = {"否", "no", "n", "false", "0", "×"}


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    key = _key(value)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise CellError(
        _("“%(value)s” is not a yes or no: write 是 or 否.") % {"value": _text(value)}
    )


def _choice(words: dict[str, str], allowed: str) -> Callable[[object], str]:
    def parse(value) -> str:
        key = _key(value)
        if key in words:
            return words[key]
        raise CellError(
            _("“%(value)s” is not one of %(allowed)s.")
            % {"value": _text(value), "allowed": allowed}
        )

    return parse


def _words(choices: type, extra: dict[str, str]) -> dict[str, str]:
    """Codes and the given Chinese words, all lower-case, to the stored code."""
    words = {code.lower(): code for code in choices.values}
    words.update({word.lower(): code for word, code in extra.items()})
    return words


_GENDERS = _words(
    Gender, {"男": "M", "女": "F", "male": "M", "female": "F", "男性": "M", "女性": "F"}
)
_LIVING = _words(
    LivingArrangement,
    {
        "独居": "alone",
        "与配偶同住": "spouse",
        "与子女同住": "children",
        "其他": "other",
        "配偶": "spouse",
        "子女": "children",
        "lives alone": "alone",
        "with spouse": "spouse",
        "with children": "children",
    },
)
_CATEGORIES = _words(
    Category,
    {
        "三无": "three_no",
        "三无人员": "three_no",
        "特困": "extremely_poor",
        "特困人员": "extremely_poor",
        "低保": "low_income",
        "残疾": "disabled",
        "残疾人": "disabled",
        "劳模": "model_worker",
        "劳动模范": "model_worker",
        "重点优抚对象": "preferential",
        "优抚": "preferential",
        "优抚对象": "preferential",
        "孤寡": "widowed_childless",
    },
)
_HEALTH = _words(
    HealthStatus,
    {"良好": "good", "好": "good", "一般": "fair", "较差": "poor", "差": "poor"},
)
_STATUSES = _words(
    Status,
    {
        "在册": "active",
        "已迁出": "moved",
        "迁出": "moved",
        "入住养老机构": "institution",
        "养老机构": "institution",
        "已故": "deceased",
        "死亡": "deceased",
    },
)
_CATEGORY_SEPARATORS = re.compile(r"[、,，;；\s]+")


def _categories(value) -> list[str]:
    found, unknown = [], []
    for word in _CATEGORY_SEPARATORS.split(_text(value)):
        if not word:
            continue
        code = _CATEGORIES.get(word.lower())
        if code is None:
            unknown.append(word)
        elif code not in found:
            found.append(code)
    if unknown:
        raise CellError(
            _("Unknown categories: %(words)s. Use %(allowed)s.")
            % {
                "words": "、".join(unknown),
                "allowed": "三无、特困、低保、残疾、劳模、重点优抚对象、孤寡",
            }
        )
    return found


# Excel shows a long number as 1.10105E+17 and keeps only 15 digits of it.
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)


def _id_number(value) -> str:
    text = _text(value).lstrip("'")
    if (isinstance(value, int | float) and not isinstance(value, bool)) or (
        _SCIENTIFIC.match(text)
    ):
        raise CellError(
            _(
                "The cell holds a number, so Excel may have rounded away the last "
                "digits. Format the ID number column as text (文本) and type the "
                "numbers again."
            )
        )
    return text


# --- The columns ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # Chinese, as in the template's header
    parse: Callable[[object], object]
    required: bool = False
    #: Other headers accepted for this column (Chinese or English).
    aliases: tuple[str, ...] = ()
    #: For the template's instructions sheet: what to write, and an example.
    note: str = ""
    allowed: str = ""
    example: object = ""
    #: Kept as typed when blank (text fields); other fields take the model default.
    blank_is_value: bool = False
    choices: tuple[str, ...] = field(default=())

    @property
    def header(self) -> str:
        return f"{self.label} ({self.key})"


_EXAMPLE_BIRTH = datetime.date(1948, 3, 12)

COLUMNS: list[Column] = [
    Column(
        "name",
        "姓名",
        _text,
        required=True,
        aliases=("名字",),
        note="老人的姓名 (the elder's name)",
        example="张秀英",
        blank_is_value=True,
    ),
    Column(
        "gender",
        "性别",
        _choice(_GENDERS, "男、女"),
        required=True,
        aliases=("sex",),
        note="须与身份证号一致 (must match the ID number)",
        allowed="男、女 (M, F)",
        example="女",
        choices=("男", "女"),
    ),
    Column(
        "birth_date",
        "出生日期",
        _date,
        required=True,
        aliases=("出生年月日", "birthday", "date_of_birth"),
        note="须与身份证号一致 (must match the ID number)",
        allowed="日期单元格或 YYYY-MM-DD、YYYY/MM/DD、YYYYMMDD (a date)",
        example=_EXAMPLE_BIRTH,
    ),
    Column(
        "id_number",
        "身份证号",
        _id_number,
        required=True,
        aliases=("身份证号码", "身份证", "公民身份号码", "id", "resident_id_number"),
        note=(
            "18 位居民身份证号；本列须设为文本格式，否则 Excel 会丢失末几位 "
            "(18-character resident ID number; keep this column formatted as text)"
        ),
        allowed="17 位数字加 1 位数字或 X (17 digits and a digit or X)",
        example=make_id_number("330102", _EXAMPLE_BIRTH, 7, "F"),
    ),
    Column(
        "phone",
        "联系电话",
        _text,
        aliases=("电话", "手机", "手机号", "联系方式", "tel", "mobile"),
        note="选填 (optional)",
        example="13800000000",
        blank_is_value=True,
    ),
    Column(
        "address",
        "住址",
        _text,
        aliases=("地址", "家庭住址", "现住址"),
        note="选填 (optional)",
        example="幸福路 8 号 2 单元 301",
        blank_is_value=True,
    ),
    Column(
        "hukou_local",
        "本地户籍",
        _boolean,
        aliases=("户籍", "是否本地户籍", "hukou"),
        note="户籍是否在本辖区；空白按“是” (registered here; blank means yes)",
        allowed="是、否 (yes, no, 1, 0, true, false)",
        example="是",
        choices=("是", "否"),
    ),
    Column(
        "residence_since",
        "居住起始日期",
        _date,
        aliases=("居住起始时间", "来本地居住时间"),
        note=(
            "非本地户籍者必填：开始在本辖区居住的日期 "
            "(required when not registered here: when they began living here)"
        ),
        allowed="日期 (a date)",
    ),
    Column(
        "living_arrangement",
        "居住状况",
        _choice(_LIVING, "独居、与配偶同住、与子女同住、其他"),
        required=True,
        aliases=("居住情况", "居住方式"),
        allowed=("独居、与配偶同住、与子女同住、其他 (alone, spouse, children, other)"),
        example="独居",
        choices=("独居", "与配偶同住", "与子女同住", "其他"),
    ),
    Column(
        "empty_nest",
        "空巢",
        _boolean,
        aliases=("是否空巢", "空巢老人"),
        note="空白按“否” (blank means no)",
        allowed="是、否 (yes, no)",
        example="是",
        choices=("是", "否"),
    ),
    Column(
        "categories",
        "特殊类别",
        _categories,
        aliases=("类别", "人员类别", "特殊人群"),
        note=(
            "可填多个，用顿号、逗号或空格分隔 "
            "(several allowed, separated by 、 , or spaces)"
        ),
        allowed=(
            "三无、特困、低保、残疾、劳模、重点优抚对象、孤寡 "
            "(three_no, extremely_poor, low_income, disabled, model_worker, "
            "preferential, widowed_childless)"
        ),
        example="低保、残疾",
    ),
    Column(
        "financial_difficulty",
        "经济困难",
        _boolean,
        aliases=("是否经济困难",),
        note="空白按“否” (blank means no)",
        allowed="是、否 (yes, no)",
        example="是",
        choices=("是", "否"),
    ),
    Column(
        "health_status",
        "健康状况",
        _choice(_HEALTH, "良好、一般、较差"),
        aliases=("身体状况",),
        note="选填 (optional)",
        allowed="良好、一般、较差 (good, fair, poor)",
        example="一般",
        choices=("良好", "一般", "较差"),
    ),
    Column(
        "chronic_conditions",
        "慢性病",
        _text,
        aliases=("慢性病史", "chronic_disease"),
        note="选填 (optional)",
        example="高血压",
        blank_is_value=True,
    ),
    Column(
        "status",
        "档案状态",
        _choice(_STATUSES, "在册、已迁出、入住养老机构、已故"),
        aliases=("状态",),
        note="空白按“在册” (blank means active)",
        allowed=(
            "在册、已迁出、入住养老机构、已故 (active, moved, institution, deceased)"
        ),
        example="在册",
        choices=("在册", "已迁出", "入住养老机构", "已故"),
    ),
]


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


_BY_HEADER: dict[str, Column] = {}
for _column in COLUMNS:
    for _name in (_column.key, _column.label, *_column.aliases):
        _BY_HEADER[_header_key(_name)] = _column
del _column, _name

_PARENTHESES = re.compile(r"^(?P<label>.*?)\s*[（(](?P<inner>[^()（）]*)[)）]\s*$")


def column_for(header) -> Column | None:
    """The column a header names: "姓名 (name)", "姓名", "name" or "Birth date"."""
    text = _text(header).replace("*", "").replace("＊", "").strip()
    candidates = [text]
    match = _PARENTHESES.match(text)
    if match:
        candidates = [match["inner"], match["label"], text]
    for candidate in candidates:
        column = _BY_HEADER.get(_header_key(candidate))
        if column is not None:
            return column
    return None


# --- Reading a file ------------------------------------------------------------------


class ParsedRoster(NamedTuple):
    """The rows read, and the cells that could not be read (by row number)."""

    rows: list[tuple[int, dict]]
    problems: Problems


# --- Bounds: what an upload may cost before a single row is believed ---------------
#
# A roster is small: a station has at most a few thousand elders. A file is
# refused, with a message and before its rows are parsed, when it unpacks to more
# than ``IMPORT_MAX_BYTES`` (a zip bomb: the sizes a workbook declares are checked
# first, and Python's zip reader never inflates an entry past its declared size),
# when it holds more than ``IMPORT_MAX_ROWS`` rows, or when reading it takes more
# than ``IMPORT_MAX_SECONDS``. Its XML is parsed by defusedxml (openpyxl uses it
# when it is installed; checked below), which refuses entity declarations and
# external references: no billion laughs, no XXE.

#: Rows read at most, blank ones included, for every row of the limit: a sheet
#: formatted down to row 1,048,576 is refused instead of read for minutes.
RAW_ROWS_PER_ROW = 5
#: Entries at most in a workbook (a real one has a dozen or two).
MAX_ZIP_ENTRIES = 1000


def _limits() -> tuple[int, int, float]:
    return (
        settings.IMPORT_MAX_ROWS,
        settings.IMPORT_MAX_BYTES,
        settings.IMPORT_MAX_SECONDS,
    )


def _refuse(message: str) -> RosterErrors:
    return RosterErrors([(FILE_ROW, [message])])


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f}"


def _check_size(size: int, *, unpacked: bool) -> None:
    _max_rows, max_bytes, _seconds = _limits()
    if size <= max_bytes:
        return
    if unpacked:
        raise _refuse(
            _(
                "The workbook unpacks to %(size)s MB, more than the %(limit)s MB a "
                "roster may hold. Split the roster into several files."
            )
            % {"size": _megabytes(size), "limit": _megabytes(max_bytes)}
        )
    raise _refuse(
        _(
            "The file is %(size)s MB, more than the %(limit)s MB a roster may hold. "
            "Split the roster into several files."
        )
        % {"size": _megabytes(size), "limit": _megabytes(max_bytes)}
    )


def check_file_size(size: int) -> None:
    """Refuse a file larger than a roster may be, before it is read."""
    _check_size(size, unpacked=False)


def _unreadable_workbook() -> RosterErrors:
    return _refuse(
        _(
            "The file cannot be read as an Excel workbook. Save it as “Excel "
            "workbook (.xlsx)” or “CSV UTF-8” and try again."
        )
    )


def _refused_xml() -> RosterErrors:
    return _refuse(
        _(
            "The workbook holds XML entity declarations or external references, "
            "which are refused because they can be used to attack the server. Open "
            "it in Excel or WPS and save it again as “Excel workbook (.xlsx)”."
        )
    )


#: What a damaged or hostile workbook raises while it is opened or read.
_BROKEN = (
    zipfile.BadZipFile,
    InvalidFileException,
    ElementTree.ParseError,
    KeyError,
    OSError,
    EOFError,
    zlib.error,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
)


_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?(/?)>")
_NOT_UTF8 = (b"\xff\xfe", b"\xfe\xff", b"\x00")


def _check_workbook(content: bytes) -> None:
    """Before openpyxl sees the workbook: the sizes it declares (nothing is
    inflated past them), then every XML part, for declarations (a DTD, entities)
    and, in the worksheets, for the number of rows. All in C-speed scans of at
    most ``IMPORT_MAX_BYTES``."""
    if not openpyxl_xml.DEFUSEDXML:
        raise ImproperlyConfigured(
            "openpyxl must parse with defusedxml: install it and leave "
            "OPENPYXL_DEFUSEDXML unset."
        )
    max_rows, _bytes, _seconds = _limits()
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise _unreadable_workbook()
            _check_size(sum(entry.file_size for entry in entries), unpacked=True)
            for entry in entries:
                if not entry.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                data = archive.read(entry)  # at most its declared size
                if data.startswith(_NOT_UTF8):
                    raise _unreadable_workbook()
                if _DECLARATION.search(data):
                    raise _refused_xml()
                if entry.filename.startswith("xl/worksheets/"):
                    rows = _ROW.findall(data)
                    filled = sum(1 for closing in rows if not closing)
                    if filled > max_rows + 1 or len(rows) > max_rows * RAW_ROWS_PER_ROW:
                        raise _too_many_rows(max_rows)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        raise _unreadable_workbook() from None


def _too_many_rows(max_rows: int) -> RosterErrors:
    return _refuse(
        _(
            "The file has more than %(limit)s rows. Split the roster into files of "
            "at most %(limit)s elders each, and delete the empty rows below the "
            "roster."
        )
        % {"limit": f"{max_rows:,}"}
    )


def _bounded(rows: Iterable[tuple]) -> Iterator[tuple[int, tuple]]:
    """Number the rows; refuse the file past the row limit or the time limit."""
    max_rows, _bytes, max_seconds = _limits()
    deadline = time.monotonic() + max_seconds
    filled = 0
    for number, values in enumerate(rows, start=1):
        if not _is_empty(values):
            filled += 1
        if filled > max_rows + 1 or number > max_rows * RAW_ROWS_PER_ROW:
            raise _too_many_rows(max_rows)
        if number % 500 == 0 and time.monotonic() > deadline:
            raise _refuse(
                _(
                    "The file takes too long to read. Save it again as “Excel "
                    "workbook (.xlsx)” or “CSV UTF-8”, or split it into smaller files."
                )
            )
        yield number, values


def _numbered_rows(content: bytes, filename: str) -> Iterator[tuple[int, tuple]]:
    """``(row number as the spreadsheet shows it, cell values)``, within bounds."""
    name = filename.lower()
    if not name.endswith((".csv", ".xlsx")):
        raise _refuse(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    if name.endswith(".csv"):
        _check_size(len(content), unpacked=False)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Chinese Excel saves "CSV (comma delimited)" in GBK.
            try:
                text = content.decode("gb18030")
            except UnicodeDecodeError:
                raise _refuse(
                    _("The CSV file is neither UTF-8 nor GBK text.")
                ) from None
        try:
            reader = csv.reader(io.StringIO(text, newline=""))
            yield from _bounded(tuple(row) for row in reader)
        except csv.Error:
            raise _refuse(_("The CSV file is damaged: it cannot be read.")) from None
        return
    _check_workbook(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except DefusedXmlException:
        raise _refused_xml() from None
    except _BROKEN:
        raise _unreadable_workbook() from None
    try:
        # The first sheet holds the roster (the template's second one explains it).
        sheet = workbook.worksheets[0]
        yield from _bounded(sheet.iter_rows(values_only=True))
    except DefusedXmlException:
        raise _refused_xml() from None
    except RosterErrors:
        raise
    except _BROKEN:
        raise _unreadable_workbook() from None
    finally:
        workbook.close()


def _is_empty(values: Iterable) -> bool:
    return all(_text(v) == "" for v in values)


def _read_header(number: int, values: tuple) -> dict[int, Column]:
    """Column index → column; every header problem at once, before any row."""
    columns: dict[int, Column] = {}
    messages = []
    for index, header in enumerate(values):
        if _text(header) == "":
            continue
        column = column_for(header)
        if column is None:
            messages.append(_("unknown column %(name)s") % {"name": _text(header)})
        elif column in columns.values():
            messages.append(
                _("column %(name)s appears twice") % {"name": column.header}
            )
        else:
            columns[index] = column
    missing = [c.header for c in COLUMNS if c.required and c not in columns.values()]
    if missing:
        messages.append(
            _("missing required columns: %(names)s") % {"names": ", ".join(missing)}
        )
    if messages:
        raise RosterErrors([(number, messages)])
    return columns


def parse_roster(file, filename: str) -> ParsedRoster:
    """Read a roster (``.xlsx`` or ``.csv``; ``file`` is bytes or a binary file).

    Row numbers are those of the spreadsheet (the header is row 1, unless blank
    rows precede it). Empty rows are skipped. A header problem (unknown column,
    missing required column) raises ``RosterErrors`` before any row is read; a
    cell that cannot be read is a problem of its row, naming the column.
    """
    content = file if isinstance(file, bytes) else file.read()
    rows: list[tuple[int, dict]] = []
    problems: Problems = []
    columns: dict[int, Column] | None = None
    header_number = 1
    headerless_with_values = False
    for number, values in _numbered_rows(content, filename):
        if _is_empty(values):
            continue
        if columns is None:
            header_number = number
            columns = _read_header(number, values)
            continue
        data: dict = {}
        messages = []
        for index, column in columns.items():
            value = values[index] if index < len(values) else None
            if _text(value) == "":
                if column.blank_is_value:
                    data[column.key] = ""
                continue
            try:
                data[column.key] = column.parse(value)
            except CellError as exc:
                messages.append(f"{column.header}: {exc}")
        if any(_text(v) != "" for i, v in enumerate(values) if i not in columns):
            headerless_with_values = True
        if messages:
            problems.append((number, messages))
        else:
            rows.append((number, data))
    if columns is None:
        raise RosterErrors(
            [(FILE_ROW, [_("The file is empty: it has no header row.")])]
        )
    if headerless_with_values:
        problems.insert(
            0,
            (
                header_number,
                [_("some cells hold values in a column without a header")],
            ),
        )
    if not rows and not problems:
        raise RosterErrors(
            [(FILE_ROW, [_("The file holds no elders, only a header.")])]
        )
    return ParsedRoster(rows, problems)


class _DryRun(Exception):
    """Rolls back a preview's savepoint."""


def roster_import(
    *, actor: User, station: Station, file, filename: str, dry_run: bool = False
) -> list[tuple[int, dict]]:
    """Open an archive for every row of the file, or for none.

    Every bad row is reported in one ``RosterErrors``: cells that cannot be read,
    and every rule ``elders_import`` checks (including ID numbers already in the
    district or twice in the file). A dry run performs the same import inside a
    savepoint and rolls it back. Returns the rows read.
    """
    # ``rows`` holds only the rows whose every cell was read; the others are in
    # ``problems`` and are reported together with what the action finds.
    rows, problems = parse_roster(file, filename)
    found: dict[int, list[str]] = {number: list(m) for number, m in problems}
    try:
        with transaction.atomic():
            elders_import(actor=actor, station=station, rows=rows)
            if dry_run or found:
                raise _DryRun
    except RosterErrors as exc:
        for number, messages in exc.problems:
            found.setdefault(number, []).extend(messages)
    except _DryRun:
        pass
    if found:
        raise RosterErrors(sorted(found.items()))
    return rows


# --- The template --------------------------------------------------------------------


def template_workbook() -> bytes:
    """The blank roster: bilingual headers, one valid example row, the instructions."""
    # Built in openpyxl's normal mode for its data validations; only the
    # template's own fixed texts go in (no personal data).
    workbook = TemplateWorkbook()
    sheet = workbook.active
    sheet.title = "花名册 (roster)"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEFEA")
    sheet.append([column.header for column in COLUMNS])
    sheet.append([column.example for column in COLUMNS])
    last_row = 1000
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index)
        header.font = bold
        header.fill = fill
        sheet.column_dimensions[letter].width = max(12, len(column.header) + 6)
        if column.parse is _date:
            number_format = "yyyy-mm-dd"
        elif column.key in ("id_number", "phone"):
            # Text, so that Excel keeps every digit (and leading zeros).
            number_format = "@"
        else:
            continue
        sheet.column_dimensions[letter].number_format = number_format
        for row in range(2, last_row + 1):
            sheet.cell(row=row, column=index).number_format = number_format
        if column.key == "id_number":
            sheet.column_dimensions[letter].width = 22
        if column.key == "address":
            sheet.column_dimensions[letter].width = 28
    for index, column in enumerate(COLUMNS, start=1):
        if column.choices:
            letter = get_column_letter(index)
            validation = DataValidation(
                type="list",
                formula1='"{}"'.format(",".join(column.choices)),
                allow_blank=not column.required,
                showErrorMessage=False,
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("填写说明 (instructions)")
    notes.append(
        ["列 (column)", "必填 (required)", "说明 (notes)", "可填的值 (allowed values)"]
    )
    for cell in notes[1]:
        cell.font = bold
        cell.fill = fill
    for column in COLUMNS:
        notes.append(
            [
                column.header,
                "是 (yes)" if column.required else "否 (no)",
                column.note,
                column.allowed,
            ]
        )
    notes.append([])
    notes.append(
        [
            "第一张工作表的第一行是表头，每位老人一行；空行会被跳过。"
            "任何一行有错误时不会导入任何数据，并列出所有有错误的行。"
            " (The first sheet holds the roster: one header row, then one elder per "
            "row; empty rows are skipped. If any row is wrong, nothing is imported "
            "and every bad row is listed.)"
        ]
    )
    for letter, width in zip("ABCD", (26, 14, 60, 60), strict=True):
        notes.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    notes.freeze_panes = "A2"

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- The export ----------------------------------------------------------------------


def export_workbook(elders, *, user) -> Workbook:
    """The filtered elder list as a workbook, labels in the active language.

    ``elders`` is the list page's queryset (``elder_search(...).qs``: scoped, with
    the annotated ``tier`` and the station joined). ID numbers as
    ``elders.id_numbers.shown`` lets ``user`` see them: whole for the station's
    manager and administrators, the last four characters otherwise. Every text
    cell is written as text (``carecenter.exports``).
    """
    if may_see_some_id_numbers(user):
        elders = elders.select_related("id_number_record")
    workbook = Workbook()
    sheet = workbook.sheet(_("Elders"))
    headers = [
        (_("Station"), 10),
        (_("Name"), 12),
        (_("Gender"), 8),
        (_("Birth date"), 12),
        (_("Age"), 6),
        (_("ID number"), 22),
        (_("Phone"), 16),
        (_("Address"), 30),
        (_("Living arrangement"), 16),
        (_("Empty-nest"), 10),
        (_("Special categories"), 30),
        (_("Financial difficulty"), 12),
        (_("Status"), 14),
        (_("Tier"), 10),
    ]
    sheet.widths([width for _title, width in headers]).freeze("A2")
    sheet.header([title for title, _width in headers])

    yes, no = _("Yes"), _("No")
    genders = dict(Gender.choices)
    living = dict(LivingArrangement.choices)
    categories = dict(Category.choices)
    statuses = dict(Status.choices)
    tiers = dict(Tier.choices)
    today = timezone.localdate()
    for elder in elders.iterator(chunk_size=2000):
        sheet.row(
            [
                elder.station.code,
                elder.name,
                genders.get(elder.gender, elder.gender),
                elder.birth_date,
                age_on(elder.birth_date, today),
                id_numbers.shown(user, elder),
                elder.phone,
                elder.address,
                living.get(elder.living_arrangement, elder.living_arrangement),
                yes if elder.empty_nest else no,
                "、".join(str(categories.get(c, c)) for c in elder.categories),
                yes if elder.financial_difficulty else no,
                statuses.get(elder.status, elder.status),
                tiers.get(getattr(elder, "tier", ""), ""),
            ]
        )
    return workbook


def export_filename(day: datetime.date | None = None) -> str:
    return f"elders-{(day or timezone.localdate()):%Y%m%d}.xlsx"


__all__ = [
    "COLUMNS",
    "EXTENSIONS",
    "FILE_ROW",
    "XLSX_CONTENT_TYPE",
    "ParsedRoster",
    "RosterErrors",
    "column_for",
    "export_filename",
    "export_workbook",
    "parse_roster",
    "roster_import",
    "template_workbook",
]
