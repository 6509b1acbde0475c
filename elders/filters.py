"""The elder list's search, filters and sorting, shared by the page, export and API."""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import Q
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.models import Station
from carecenter.pagination import Concatenation
from carecenter.scoping import is_station_reader, visible_to
from elders import id_numbers, names
from elders.eligibility import years_before
from elders.models import Category, Characters, Elder, LivingArrangement, Status, Tier

#: The empty choice of every filter.
ALL = _("All")

AGE_BANDS = [
    ("60-69", _("60–69")),
    ("70-79", _("70–79")),
    ("80-89", _("80–89")),
    ("90+", _("90 and over")),
    ("under-60", _("Under 60")),
]


def age_band_range(band: str, today: datetime.date) -> Q:
    """Birth dates of the elders in ``band`` on ``today``."""

    def born_after(years):  # strictly younger than ``years``
        return Q(birth_date__gt=years_before(today, years))

    def born_by(years):  # aged ``years`` or more
        return Q(birth_date__lte=years_before(today, years))

    if band == "under-60":
        return born_after(60)
    if band == "90+":
        return born_by(90)
    low, high = (int(x) for x in band.split("-"))
    return born_by(low) & born_after(high + 1)


def _stations(request):
    if request is None:
        return Station.objects.none()
    return visible_to(request.user, Station.objects.filter(is_active=True))


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorting that ends with the primary key, so pages never repeat or skip a row."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value and qs.query.order_by:
            last = str(qs.query.order_by[-1])
            qs = qs.order_by(
                *qs.query.order_by, "-pk" if last.startswith("-") else "pk"
            )
        return qs


class ElderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    station = django_filters.ModelChoiceFilter(
        queryset=_stations,
        field_name="station",
        to_field_name="code",
        label=_("Station"),
        empty_label=ALL,
    )
    age_band = django_filters.ChoiceFilter(
        choices=AGE_BANDS,
        method="filter_age_band",
        label=_("Age band"),
        empty_label=ALL,
    )
    tier = django_filters.ChoiceFilter(
        choices=Tier.choices, label=_("Tier"), empty_label=ALL
    )
    category = django_filters.ChoiceFilter(
        choices=Category.choices,
        method="filter_category",
        label=_("Category"),
        empty_label=ALL,
    )
    status = django_filters.ChoiceFilter(
        choices=Status.choices, label=_("Status"), empty_label=ALL
    )
    living_arrangement = django_filters.ChoiceFilter(
        choices=LivingArrangement.choices,
        label=_("Living arrangement"),
        empty_label=ALL,
    )
    ordering = StableOrderingFilter(
        fields=[
            ("name_key", "name"),
            ("birth_date", "birth_date"),
            ("created_at", "created"),
        ],
        field_labels={
            "name_key": _("Name"),
            "birth_date": _("Birth date"),
            "created_at": _("Date registered"),
        },
        label=_("Sort by"),
        empty_label=_("By name"),
    )

    class Meta:
        model = Elder
        fields = [
            "q",
            "station",
            "age_band",
            "tier",
            "category",
            "status",
            "living_arrangement",
        ]

    def filter_queryset(self, queryset):
        """Every filter, then the search, then the sorting: a search by relevance
        is two index-ordered parts read one after the other, after which nothing
        else applies."""
        data = self.form.cleaned_data
        for name, value in data.items():
            if name not in ("q", "ordering"):
                queryset = self.filters[name].filter(queryset, value)
        ordering = data.get("ordering")
        if data.get("q"):
            queryset = self.search(queryset, "q", data["q"], by_relevance=not ordering)
        if ordering:
            queryset = self.filters["ordering"].filter(queryset, ordering)
        return queryset

    def search(self, queryset, name, value, *, by_relevance: bool = True):
        """Name, phone, the whole ID number, or its last four characters.

        A Chinese query is matched through the index of the names' characters, and
        the results come best first: the exact name, then names starting with the
        query (a surname), then the rest, each by name. Sorting chosen on the page
        replaces that order. A whole ID number is found by its blind index alone
        (the numbers are stored encrypted), its last four by the stored tail.

        Best first is two parts read in pinyin order from the key's index, with
        the page's LIMIT: the names starting with the query (a range of the index,
        the exact name first), then the others that hold it. No part sorts every
        match, so a surname shared by a hundred thousand elders of a district costs
        what a rare one does.
        """
        value = "".join(value.split())
        if not value:
            return queryset
        if not value.isascii():
            condition = Q(name_chars__contains=sorted(set(value)))
            if len(value) > 1:  # the characters in this order, side by side
                condition &= Q(name__contains=value)
            matching = queryset.alias(name_chars=Characters("name")).filter(condition)
            if not by_relevance:
                return matching
            # The names starting with the query whose key starts with its
            # syllables: a range of the key's index, in pinyin order (the exact
            # name first: its key ends the syllables with "\x01"). Then the rest.
            # "Starts with" is the name's first characters, not a range of the
            # name's own index: that range and the key's are correlated, which
            # the planner cannot know, and it would AND a district's worth of
            # both instead of reading the key's index in order.
            syllables = names.key_prefix(value)
            starts = Q(_starts=value) & Q(
                name_key__gte=syllables, name_key__lt=names.after(syllables)
            )
            first = Left("name", len(value))
            prefix = queryset.alias(_starts=first).filter(starts)
            rest = matching.alias(_starts=first).exclude(starts)
            return Concatenation(
                prefix.order_by("name_key", "pk"), rest.order_by("name_key", "pk")
            )
        number = id_numbers.normalize(value)
        # A volunteer reads no ID number, so may not probe one by searching.
        by_number = self.request is None or is_station_reader(self.request.user)
        if by_number and len(number) == 18 and id_numbers.looks_like_id_number(number):
            return queryset.with_id_number(number)
        condition = Q(name__icontains=value) | Q(phone__contains=value)
        if (
            by_number
            and len(number) == id_numbers.SHOWN_CHARACTERS
            and id_numbers.looks_like_id_number(number)
        ):
            condition |= Q(id_number_last4=number)
        return queryset.filter(condition)

    def filter_age_band(self, queryset, name, value):
        return queryset.filter(age_band_range(value, timezone.localdate()))

    def filter_category(self, queryset, name, value):
        return queryset.filter(categories__contains=[value])
