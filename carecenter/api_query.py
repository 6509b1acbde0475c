"""The API's query parameters as strict as its schema: the filter backend
(``DEFAULT_FILTER_BACKENDS``) and the pagination (``DEFAULT_PAGINATION_CLASS``).

Their own module: DRF reads those settings while ``rest_framework.viewsets`` is
imported, so nothing here may import view sets.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class StrictFilterBackend(DjangoFilterBackend):
    """Query filters as strict as the schema: a filter given an empty value, or a
    yes/no filter given anything but ``true``/``false``, is refused (400) rather
    than ignored. Free-text filters take any text."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors = {}
        for name, declared in filterset.filters.items():
            values = request.query_params.getlist(name)
            if not values:
                continue
            if isinstance(declared, django_filters.BooleanFilter):
                if any(value not in ("true", "false") for value in values):
                    errors[name] = [_("Give true or false.")]
            elif not isinstance(declared, django_filters.CharFilter) and "" in values:
                errors[name] = [_("Give a value, or leave the parameter out.")]
        if errors:
            raise serializers.ValidationError(errors)
        return filterset


class StrictPageNumberPagination(PageNumberPagination):
    """``?page=`` with no number is no page (404, as a page past the end), not
    the first one."""

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param) == "":
            raise NotFound(self.invalid_page_message.format(page_number="", message=""))
        return super().get_page_number(request, paginator)
