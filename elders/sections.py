"""Sections of an elder's page contributed by other apps.

The elder's page shows the whole of their care (PRODUCT.md, "A station's
day"): services, visits and calls, readings, pairings, vouchers, activities,
follow-ups. Those live in apps above this one, which register a section here
from their ``ready()`` (the elders app never imports them). A section is a
template and a function ``(user, elder) -> context`` that reads a fixed number
of rows (the latest few and a link to all), so the page's queries do not grow
with the elder's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    func: Callable[..., dict | None]
    order: int = 100


@dataclass(frozen=True)
class SectionContent:
    key: str
    template: str
    context: dict


_sections: list[Section] = []


def elder_section(key: str, template: str, *, order: int = 100):
    """Register a section of the elder's page (lower ``order`` first)."""

    def register(func):
        if not any(s.key == key for s in _sections):
            _sections.append(Section(key, template, func, order))
            _sections.sort(key=lambda s: s.order)
        return func

    return register


def sections_for(user, elder) -> list[SectionContent]:
    """Each registered section's content; a function returning None is left out."""
    result = []
    for section in _sections:
        context = section.func(user, elder)
        if context is not None:
            result.append(SectionContent(section.key, section.template, context))
    return result
