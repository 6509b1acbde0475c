"""What higher apps keep for each elder, re-stored whenever an elder changes.

Some apps keep rows derived from an elder's archive and Barthel assessments (the
care app: who owes which contact, ``care.cadence.obligations_store``). The
elders app may not import them (STYLE.md §13), so each registers its store here
from its ``AppConfig.ready()``. Every write that can change what they derive —
registering, updating (status, living arrangement, empty-nest, categories, birth
date, station), importing, recording or removing an assessment — calls
``keep(elders)`` in its own transaction, right where the tier is kept
(``elders.actions``). Removing an archive needs no call: kept rows cascade.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

from elders.models import Elder

#: ``store(elders_queryset)`` functions, registered by higher apps.
KEPT_FOR_ELDERS: list[Callable[[QuerySet[Elder]], object]] = []


def register(store: Callable[[QuerySet[Elder]], object]) -> None:
    if store not in KEPT_FOR_ELDERS:
        KEPT_FOR_ELDERS.append(store)


def keep(elders: QuerySet[Elder] | Elder) -> None:
    """Re-store what every registered app keeps for ``elders`` (a queryset or
    one elder). Call it inside the change's transaction, after the write."""
    if isinstance(elders, Elder):
        elders = Elder.objects.filter(pk=elders.pk)
    for store in KEPT_FOR_ELDERS:
        store(elders)
