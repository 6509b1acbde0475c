from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import template
from django.forms import Select, SelectMultiple
from django.forms.utils import flatatt
from django.forms.widgets import Input
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from carecenter.models import Station
from carecenter.scoping import can_write_station

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}``: a dictionary lookup with a variable key."""
    return mapping.get(key, 0) if mapping else 0


def _station_id(obj) -> int | None:
    """The station of ``obj``: a station, anything with a ``station_id``, or None
    (no particular station: any the user may write)."""
    if obj is None or obj == "":
        return None
    if isinstance(obj, Station):
        return obj.pk
    return getattr(obj, "station_id", None)


@register.filter
def may_write(user, obj=None) -> bool:
    """``{% if request.user|may_write:record %}``: the one guard of every write
    button and form in the templates (``scoping.can_write``'s rule, from the
    user's cached scope: no query). A read-only role (supervisor, volunteer on a
    station page) sees none. Without an object: any station the user may write."""
    return can_write_station(user, _station_id(obj))


@register.filter
def may_manage(user, obj=None) -> bool:
    """The same for the station manager's buttons (approvals, overrides)."""
    return can_write_station(user, _station_id(obj), manager=True)


@register.filter
def counter_cells(figures, counters):
    """A station's row of the district overview: one ``<td>`` per counter, a
    figure that needs attention in red. Built directly: 50 stations × every
    counter are hundreds of cells, each a loop turn and a localisation in a
    template (counts are whole numbers, shown without grouping)."""
    cells = []
    for counter in counters:
        value = figures.get(counter.key, 0)
        warn = " text-danger fw-semibold" if counter.warn and value else ""
        shown = value if isinstance(value, int) else conditional_escape(value)
        cells.append(f'<td class="text-end{warn}">{shown}</td>')
    return mark_safe("".join(cells))


@register.filter
def waits(figures, counters) -> bool:
    """Does any of ``counters`` have a non-zero figure (the manager's panel)?"""
    return any(figures.get(counter.key) for counter in counters) if figures else False


# --- A list page's filter bar ---------------------------------------------------------

_FIELD_CLASSES = {"select": "select form-select", "input": "form-control"}


@register.filter
def filter_field(bound):
    """``{{ form.field|filter_field }}``: a filter bar's field — its label, text
    box or list, and errors — as the Bootstrap markup crispy writes, built
    directly. A list page draws its filter bar on every load, and a select
    rendered through the widget templates (an include per option) costs more
    than the page's own query. Other widgets fall back to crispy."""
    widget = bound.field.widget
    if isinstance(widget, SelectMultiple) or not isinstance(widget, Select | Input):
        return as_crispy_field(bound)
    attrs = {**widget.attrs, "name": bound.html_name, "id": bound.auto_id}
    kind = "select" if isinstance(widget, Select) else "input"
    css = [attrs.pop("class", ""), _FIELD_CLASSES[kind]]
    errors = bound.errors
    if errors:
        css.append("is-invalid")
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound.auto_id}_error"
    attrs["class"] = " ".join(c for c in css if c)
    value = widget.format_value(bound.value())
    if kind == "select":
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (o["value"], " selected" if o["selected"] else "", o["label"])
                for _group, group_options, _i in widget.optgroups(
                    bound.html_name, value
                )
                for o in group_options
            ),
        )
        control = format_html("<select{}>{}</select>", flatatt(attrs), options)
    else:
        attrs["type"] = widget.input_type
        if value not in (None, ""):
            attrs["value"] = value
        control = format_html("<input{}>", flatatt(attrs))
    feedback = (
        format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            bound.auto_id,
            format_html_join("", "<p><strong>{}</strong></p>", ((e,) for e in errors)),
        )
        if errors
        else ""
    )
    help_text = (
        format_html(
            '<div id="{}_helptext" class="form-text">{}</div>',
            bound.auto_id,
            bound.help_text,
        )
        if bound.help_text
        else ""
    )
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>'
        "{}{}{}</div>",
        bound.auto_id,
        bound.id_for_label,
        bound.label,
        control,
        feedback,
        help_text,
    )
