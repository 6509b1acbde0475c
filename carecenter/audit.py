"""The change history of personal and governance data (django-pghistory triggers).

PRODUCT.md, "Personal data": the history of every change names the real actor.

* Triggers record every insert and update (and deletes where a model tracks
  them), including ``QuerySet.update()``, ``bulk_update()`` and raw SQL. Each
  event points at a *context*: the acting user, a reason code with its
  parameters, and the URL of the request.
* ``audit_context(user=..., reason=CODE, **params)`` attaches that context to
  the writes inside it. Contexts nest: an action called inside another action
  (or inside the demo data, or inside a request) records its own actor and
  reason, and the outer context is back when it returns. pghistory's own
  ``context`` merges nested values into one shared row, so that the last inner
  action would rename every event of the outer one; here each entry gets a
  context of its own, inheriting what it does not set (the request's URL).
* Reasons are codes (``elder.registered``) registered with a translatable label by
  the app that uses them (``register_reasons``), stored with their parameters,
  and translated when shown: the history reads in the reader's language.
* ``history_of(obj, ...)`` returns readable entries for a page or the API: field
  labels, choice labels, the actor's display name, local time, the reason.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pghistory
from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pghistory import runtime
from pghistory.models import Context

# --- Reasons ------------------------------------------------------------------------

_REASONS: dict[str, Promise | str] = {}


def register_reasons(reasons: dict[str, Promise | str]) -> None:
    """Make reason codes known, each with a (lazily translated) label.

    A label may name parameters given to ``audit_context``: ``"%(note)s"``.
    """
    _REASONS.update(reasons)


register_reasons(
    {
        "demo_data": gettext_lazy("demo data"),
        "role.granted": gettext_lazy("role granted"),
        "role.revoked": gettext_lazy("role revoked: %(note)s"),
        "field_key.rotated": gettext_lazy("encryption key rotated"),
    }
)


#: Reasons stored before they were codes: the English words of a label, or the
#: demo data's marker, read as the code they became.
_LEGACY = {"seed_demo": "demo_data"}


def _legacy_code(text: str) -> str | None:
    if text in _LEGACY:
        return _LEGACY[text]
    from django.utils import translation

    with translation.override("en"):
        english = {
            str(label): code
            for code, label in _REASONS.items()
            if "%(" not in str(label)
        }
    return english.get(text)


def reason_text(code: str, params: dict | None = None) -> str:
    """A stored reason in the active language (an unknown code reads as stored)."""
    if not code:
        return ""
    label = _REASONS.get(code) or _REASONS.get(_legacy_code(code) or "")
    if label is None:
        return str(code)
    text = str(label)
    if params:
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            return text
    return text


# --- Attaching the context ------------------------------------------------------------


@contextlib.contextmanager
def audit_context(
    *, user: Any = None, reason: str = "", **params: Any
) -> Iterator[None]:
    """Attach the actor and reason to the history of the writes inside.

    ``user``: the acting user (or None: the system). ``reason``: a registered
    code; ``params``: what its label names, stored with it (free text a user typed,
    such as an override's reason, goes in ``note``).
    """
    metadata: dict[str, Any] = {
        "user": user.pk if isinstance(user, models.Model) else user,
        "reason": reason,
    }
    if params:
        metadata["params"] = {k: _jsonable(v) for k, v in params.items()}
    outer = getattr(runtime._tracker, "value", None)
    if outer is None:
        with pghistory.context(**metadata):
            yield
        return
    # Nested: a context of its own for the writes inside, the outer one after.
    inherited = {k: v for k, v in outer.metadata.items() if k not in ("params",)}
    runtime._tracker.value = runtime.Context(
        id=uuid.uuid4(), metadata={**inherited, **metadata}
    )
    try:
        yield
    finally:
        runtime._tracker.value = outer


def _jsonable(value):
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


# --- Reading the history --------------------------------------------------------------

ACTIONS = {
    "insert": "create",
    "update": "update",
    "delete": "delete",
}


@dataclass
class Change:
    field: str  # the field's name
    label: str  # its verbose name, in the active language
    old: object  # shown values (labels, masks, local dates)
    new: object
    raw_old: object = None  # the stored values, for the API (masked where needed)
    raw_new: object = None


@dataclass
class HistoryEntry:
    at: datetime.datetime  # local time
    action: str  # create, update, delete
    subject: str  # what changed: "" for the object itself, else e.g. "family contact"
    subject_key: str  # the changed model's name: "elder", "familycontact"
    name: str  # the changed object as it read then (e.g. the contact's name)
    user: object  # the acting user, or None (the system)
    reason: str  # translated
    reason_code: str
    changes: list[Change] = field(default_factory=list)

    @property
    def label(self) -> str:  # pghistory's own word, for older templates
        return {"create": "insert", "update": "update", "delete": "delete"}[self.action]

    @property
    def actor_name(self) -> str:
        return str(self.user) if self.user is not None else ""

    @property
    def actor_username(self) -> str | None:
        return self.user.get_username() if self.user is not None else None


@dataclass(frozen=True)
class Related:
    """Events of another model that belong on an object's history.

    ``model``: the tracked model (e.g. ``FamilyContact``); ``via``: its field
    pointing at the object (``"elder"``); ``describe``: the object's name from a
    snapshot (``lambda data: data["name"]``).
    """

    model: type[models.Model]
    via: str
    describe: Callable[[dict], str] = lambda data: ""


#: Fields never worth a line of history (they change with every save).
QUIET_FIELDS = {"id", "created_at", "updated_at"}


def _event_model(model: type[models.Model]):
    """The pghistory event model that tracks ``model`` (its default tracker)."""
    from pghistory.core import _registered_trackers

    found = _registered_trackers.get((model, "insert")) or _registered_trackers.get(
        (model, "update")
    )
    if found is None:
        raise LookupError(f"{model._meta.label} is not tracked by pghistory")
    return found


def history_of(
    obj: models.Model,
    *,
    limit: int = 50,
    display: dict[str, Callable[[object], object]] | None = None,
    related: Iterable[Related] = (),
    quiet: Iterable[str] = (),
    fold: Callable[[list[Change], dict, dict], list[Change]] | None = None,
) -> list[HistoryEntry]:
    """The newest ``limit`` events of ``obj`` and of the ``related`` objects.

    A fixed number of queries whatever the length of the history: one per event
    model, one for the contexts, one per kind of object referenced.
    ``display`` maps a field name to a function rendering its stored value (a
    masked ID number); ``quiet`` names fields left out; ``fold`` may rewrite an
    entry's changes given the old and new snapshots. A related object added or
    removed reads as its ``describe`` line; its changes are listed field by field.
    """
    display = display or {}
    quiet = QUIET_FIELDS | set(quiet)
    sources = [(type(obj), "pgh_obj_id", obj.pk, "")]
    sources += [(r.model, r.via + "_id", obj.pk, r) for r in related]

    rows = []  # (at, pgh_id, model, label, data, previous data, context id, rel)
    for model, column, pk, rel in sources:
        event_model = _event_model(model)
        events = list(
            event_model.objects.filter(**{column: pk})
            .order_by("pgh_obj_id", "pgh_created_at", "pgh_id")
            .values(
                "pgh_id",
                "pgh_obj_id",
                "pgh_created_at",
                "pgh_label",
                "pgh_context_id",
                *_data_fields(event_model, model),
            )
        )
        previous: dict[object, dict] = {}
        for event in events:
            data = {k: v for k, v in event.items() if not k.startswith("pgh_")}
            before = previous.get(event["pgh_obj_id"])
            previous[event["pgh_obj_id"]] = data
            rows.append(
                (
                    event["pgh_created_at"],
                    event["pgh_id"],
                    model,
                    event["pgh_label"],
                    data,
                    before,
                    event["pgh_context_id"],
                    rel,
                )
            )
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    rows = rows[:limit]

    contexts = {
        c.pk: c.metadata or {}
        for c in Context.objects.filter(pk__in={r[6] for r in rows} - {None})
    }
    user_model = get_user_model()
    user_ids = {m.get("user") for m in contexts.values()} - {None}
    references = _references(rows, quiet, {user_model: user_ids})
    users = references.pop("users")

    entries = []
    for at, _pgh_id, model, label, data, before, context_id, rel in rows:
        context = contexts.get(context_id, {})
        action = ACTIONS.get(label, label)
        changes = []
        if action == "update" and before is not None:
            for name, new in data.items():
                old = before.get(name)
                if name in quiet or old == new:
                    continue
                changes.append(_change(model, name, old, new, display, references))
            if fold is not None and rel == "":
                changes = fold(changes, before, data)
            if not changes:
                continue  # nothing a reader would see changed
        entries.append(
            HistoryEntry(
                at=timezone.localtime(at),
                action=action,
                subject="" if rel == "" else str(model._meta.verbose_name),
                subject_key=model._meta.model_name,
                name=rel.describe(data) if rel != "" else "",
                user=users.get(context.get("user")),
                reason=reason_text(context.get("reason", ""), context.get("params")),
                reason_code=context.get("reason", ""),
                changes=changes,
            )
        )
    return entries


def _data_fields(event_model, model) -> list[str]:
    tracked = {f.attname for f in model._meta.concrete_fields}
    return [
        f.attname
        for f in event_model._meta.concrete_fields
        if f.attname in tracked and not f.attname.startswith("pgh_")
    ]


def _references(rows, quiet, wanted: dict[type, set]) -> dict:
    """Names of the objects the snapshots point at (users, stations, …), one
    query per kind of object, and under ``"users"`` the acting users."""
    wanted = {model: set(pks) for model, pks in wanted.items()}
    user_model = get_user_model()
    wanted.setdefault(user_model, set())
    for _at, _id, model, _label, data, before, _ctx, rel in rows:
        skip = quiet | ({rel.via + "_id"} if rel != "" else set())
        for snapshot in (data, before or {}):
            for name, value in snapshot.items():
                target = _foreign_model(model, name) if name not in skip else None
                if target is not None and value is not None:
                    wanted.setdefault(target, set()).add(value)
    names: dict = {"users": {}}
    for target, pks in wanted.items():
        for pk, instance in target._default_manager.in_bulk(pks).items():
            names[(target, pk)] = str(instance)
            if target is user_model:
                names["users"][pk] = instance
    return names


def _foreign_model(model, attname: str):
    for f in model._meta.concrete_fields:
        if f.attname == attname and f.is_relation:
            return f.related_model
    return None


def _field(model, attname: str):
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f
    return None


def _change(model, name, old, new, display, references) -> Change:
    f = _field(model, name)
    label = str(f.verbose_name) if f is not None else name
    render = display.get(name)
    if render is not None:
        shown_old, shown_new = render(old), render(new)
        return Change(name, label, shown_old, shown_new, shown_old, shown_new)
    return Change(
        name.removesuffix("_id") if f is not None and f.is_relation else name,
        label,
        _shown(f, old, references),
        _shown(f, new, references),
        _raw(old),
        _raw(new),
    )


def _raw(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if hasattr(value, "is_finite"):  # Decimal
        return str(value)
    return value


def _shown(f, value, references) -> object:
    """A stored value as a reader understands it, in the active language."""
    if value is None or value == "":
        return None
    if f is None:
        return value
    if f.is_relation:
        return references.get((f.related_model, value), value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(f, ArrayField):
        choices = dict(f.base_field.flatchoices)
        return "、".join(str(choices.get(v, v)) for v in value) or None
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    return value
