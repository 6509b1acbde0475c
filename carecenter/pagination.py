"""The one way list pages paginate: a page of the queryset and the query string that
keeps the page's filters on the page links (``templates/partials/pagination.html``)."""

from __future__ import annotations

from django.core.paginator import Paginator


def page_context(request, queryset, *, size: int = 25) -> dict:
    """``page_obj``, ``is_paginated`` and ``query_string`` for a list template."""
    page = Paginator(queryset, size).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "page_obj": page,
        "is_paginated": page.has_other_pages(),
        "query_string": params.urlencode(),
    }


def elder_param(request) -> int | None:
    """The ``?elder=ID`` of a list opened from an elder's page ("all …"), if any.

    Only narrows a list that is already scoped: another station's id shows
    nothing, like an elder without rows.
    """
    value = request.GET.get("elder", "")
    return int(value) if value.isdigit() and len(value) < 12 else None
