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
