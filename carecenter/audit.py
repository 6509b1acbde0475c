"""The change history of personal data, read from django-pghistory's trigger events.

Triggers record every insert and update, including ``QuerySet.update()``,
``bulk_update()`` and raw SQL. The web middleware attaches the acting user and
URL; actions add a reason with ``audit_context(reason=...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pghistory
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from pghistory.models import Events


def audit_context(**values):
    """Attach values (``user``, ``reason``, …) to the history of the writes inside."""
    if "user" in values and isinstance(values["user"], models.Model):
        values["user"] = values["user"].pk
    return pghistory.context(**values)


@dataclass
class Change:
    field: str
    old: object
    new: object


@dataclass
class HistoryEntry:
    at: datetime
    label: str
    user: object
    reason: str
    changes: list[Change] = field(default_factory=list)


def history_of(
    obj: models.Model,
    *,
    limit: int = 50,
    display: dict[str, Callable[[object], object]] | None = None,
) -> list[HistoryEntry]:
    """The newest ``limit`` events of ``obj``, with field labels and the acting user.

    ``display`` maps a field name to a function that renders its values (for
    example a masked resident ID number for roles that may not see it whole).
    """
    display = display or {}
    events = list(
        Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[:limit]
    )
    user_ids = {(e.pgh_context or {}).get("user") for e in events} - {None}
    users = get_user_model().objects.in_bulk(user_ids)
    entries = []
    for event in events:
        context = event.pgh_context or {}
        changes = []
        for name, values in sorted((event.pgh_diff or {}).items()):
            render = display.get(name, lambda value: value)
            old, new = values
            changes.append(Change(_label(obj, name), render(old), render(new)))
        entries.append(
            HistoryEntry(
                at=event.pgh_created_at,
                label=event.pgh_label,
                user=users.get(context.get("user")),
                reason=context.get("reason", ""),
                changes=changes,
            )
        )
    return entries


def _label(obj: models.Model, name: str) -> str:
    try:
        return str(obj._meta.get_field(name.removesuffix("_id")).verbose_name)
    except FieldDoesNotExist:
        return name
