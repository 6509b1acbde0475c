"""How names sort: Chinese names in pinyin order (张 after 王), as people look
them up, not in the order of their code points.

PostgreSQL's collations hold no Chinese (zh) ICU collation here, so the order is
a key kept beside the name (``Elder.name_key``, indexed with the id) and computed
by ``name_key``: the pinyin of each character with its tone number (so 妈 mā
comes before 马 mǎ), Latin letters lower-cased, anything else as it is; then the
name itself, so that two names of the same sound keep one order.
"""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

#: The key's column width (a name is at most 50 characters: 6 per syllable).
KEY_LENGTH = 400


def name_key(name: str) -> str:
    name = (name or "").strip()
    syllables = lazy_pinyin(
        name,
        style=Style.TONE3,
        neutral_tone_with_five=True,
        errors=lambda chars: [chars.lower()],
    )
    return (" ".join(syllables) + "\x01" + name)[:KEY_LENGTH]


def key_prefix(value: str) -> str:
    """The start of the key of a name that begins with ``value``: its syllables.

    A name that begins with ``value`` almost always reads its first characters as
    ``value`` alone does; the search uses this to read those names as a range of
    the key's index, in pinyin order (a name read otherwise is still found, among
    the rest).
    """
    return name_key(value).split("\x01", 1)[0]


def after(value: str) -> str:
    """The first string past every string that starts with ``value``."""
    return value[:-1] + chr(ord(value[-1]) + 1)
