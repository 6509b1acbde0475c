"""The one way list pages paginate: a page of the queryset and the query string that
keeps the page's filters on the page links (``templates/partials/pagination.html``).

Counts are exact up to ``COUNT_CAP`` rows and capped beyond ("2,000+"): an exact
``COUNT(*)`` over a district's million elders or records costs more than the page
itself, and even a capped count reads every row up to the cap (a filter on a
column outside the list's index reads them from the table), so the cap is what
a page can afford, not what a district holds. The totals a station watches (its
elders, its services) stand on the home page and the dashboard. A capped list
still reaches every page: past the cap, a page is found by its offset and knows
whether another follows by reading one row more.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import EmptyPage, InvalidPage, Page, Paginator
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _

#: Beyond this many rows a list says "2,000+" instead of counting them all
#: (80 pages of 25; any page past them is still reached).
COUNT_CAP = 2_000


class Concatenation:
    """Disjoint querysets read one after the other, each in its own (index) order:
    a list ordered by "which part, then the part's order" without a UNION that the
    database would sort whole. Sliced like a queryset: a page reads the part it
    falls in with the page's LIMIT (and the next part when the page spans both);
    only a page past the end of a part counts that part.
    """

    ordered = True

    def __init__(self, *parts: QuerySet):
        self.parts = parts
        self.model = parts[0].model

    def select_related(self, *fields) -> Concatenation:
        return Concatenation(*(p.select_related(*fields) for p in self.parts))

    def count(self) -> int:
        return sum(part.count() for part in self.parts)

    def __len__(self) -> int:
        return self.count()

    def exists(self) -> bool:
        return any(part.exists() for part in self.parts)

    def capped_count(self, cap: int) -> int:
        counted = 0
        for part in self.parts:  # a first part beyond the cap spares the others
            counted += capped_count(part, cap - counted)
            if counted > cap:
                return cap + 1
        return counted

    def __iter__(self):
        for part in self.parts:
            yield from part

    def iterator(self, chunk_size: int | None = None):
        for part in self.parts:
            yield from part.iterator(chunk_size=chunk_size)

    def __getitem__(self, index):
        if isinstance(index, int):
            found = self[index : index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop = index.start or 0, index.stop
        rows: list = []
        for part in self.parts:
            if stop is not None and stop <= start:
                break
            got = list(part[start:stop])
            rows += got
            if stop is not None and len(got) == stop - start:
                break
            # The part ended before the slice did: how long was it?
            length = start + len(got) if got or start == 0 else part.count()
            start = max(0, start - length)
            stop = None if stop is None else stop - length
        return rows


def capped_count(queryset, cap: int) -> int:
    """``min(len(queryset), cap + 1)``, reading at most ``cap`` + 1 rows."""
    if isinstance(queryset, Concatenation):
        return queryset.capped_count(cap)
    # Without the list's order: the first matching rows of whichever index fits
    # the filters best, not the first in name order (which may be far apart).
    return queryset.order_by()[: cap + 1].count()


class CappedPage(Page):
    """A page past what was counted: whether another follows is read, not counted."""

    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return self.start_index() + len(self) - 1


class CappedPaginator(Paginator):
    """A ``Paginator`` whose count stops at ``cap`` + 1 (``capped``: there are more).

    The count is one ``SELECT count(*) FROM (… LIMIT cap + 1)``, so it reads at
    most ``cap`` + 1 rows of the index that orders the list.
    """

    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, list | tuple):
            return len(self.object_list)
        return capped_count(self.object_list, self.cap)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def count_label(self) -> str:
        """The count as shown: exact, or "2,000+" when capped."""
        if self.capped:
            return _("%(count)s+") % {
                "count": number_format(self.cap, force_grouping=True)
            }
        return number_format(self.count, force_grouping=True)

    def validate_number(self, number):
        if not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise EmptyPage(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number

    def page(self, number):
        number = self.validate_number(number)
        if not self.capped:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(_("That page contains no results"))
        return CappedPage(
            rows[: self.per_page], number, self, more=len(rows) > self.per_page
        )

    def get_page(self, number):
        try:
            number = self.validate_number(number)
        except InvalidPage:
            number = 1
        try:
            return self.page(number)
        except EmptyPage:
            # Past the end of a capped list: its first page, not a count of all.
            return self.page(1 if self.capped else self.num_pages)


def page_context(request, queryset, *, size: int = 25) -> dict:
    """``page_obj``, ``is_paginated`` and ``query_string`` for a list template."""
    page = CappedPaginator(queryset, size).get_page(request.GET.get("page"))
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
