"""Elder archives (PRODUCT.md: Elder archives, Needs survey, Ability assessment)."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecenter.models import District, StationScoped
from carecenter.validators import (
    no_control_characters,
    plausible_birth_date,
    plausible_date,
)
from elders import id_numbers
from elders.names import KEY_LENGTH, name_key


class Characters(models.Func):
    """A text's characters as an array (``'王桂芳'`` → ``{王,桂,芳}``).

    Chinese names have no words for a trigram or full-text index to hold, so the
    elder search indexes each name's characters (GIN) and asks for names holding
    every character of the query.
    """

    function = "regexp_split_to_array"
    template = "%(function)s(%(expressions)s, '')"
    output_field = ArrayField(models.TextField())


def age_on(birth_date, day) -> int:
    """Completed years on ``day`` (a 29 February birthday counts on 1 March)."""
    return (
        day.year
        - birth_date.year
        - ((day.month, day.day) < (birth_date.month, birth_date.day))
    )


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class LivingArrangement(models.TextChoices):
    ALONE = "alone", _("Lives alone")
    SPOUSE = "spouse", _("With spouse")
    CHILDREN = "children", _("With children")
    OTHER = "other", _("Other")


class Category(models.TextChoices):
    """Special categories of PRODUCT.md; an elder may belong to several."""

    THREE_NO = "three_no", _("Three-no (三无)")
    EXTREMELY_POOR = "extremely_poor", _("Extremely poor (特困)")
    LOW_INCOME = "low_income", _("Urban low-income (低保)")
    DISABLED = "disabled", _("Disabled")
    MODEL_WORKER = "model_worker", _("Model worker")
    PREFERENTIAL = "preferential", _("Key preferential-treatment recipient")
    WIDOWED_CHILDLESS = "widowed_childless", _("Widowed or childless (孤寡)")
    # The further groups of the 2022 national guidance on visiting elders
    # with special difficulties (care.cadence).
    LEFT_BEHIND = "left_behind", _("Left-behind (留守)")
    SEVERELY_DISABLED = "severely_disabled", _("Severely disabled (重残)")
    FAMILY_PLANNING = "family_planning", _("Family-planning hardship (计生特殊家庭)")


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    MOVED = "moved", _("Moved away")
    INSTITUTION = "institution", _("In a care institution")
    DECEASED = "deceased", _("Deceased")


class HealthStatus(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")


class Tier(models.TextChoices):
    """Service tiers of PRODUCT.md, "Eligibility and service tier"."""

    FREE = "free", _("Free")
    LOW_COST = "low_cost", _("Low-cost")
    PAID = "paid", _("Paid")
    INELIGIBLE = "ineligible", _("Ineligible")


class ElderQuerySet(models.QuerySet):
    def visible_to(self, user):
        from carecenter.scoping import visible_to

        return visible_to(user, self)

    def with_id_number(self, number: str):
        """Elders whose resident ID number is ``number`` (by its blind index)."""
        return self.filter(id_number_record__index__in=id_numbers.indexes_of(number))


#: Kept by ``elders.eligibility`` (today's tier and its grounds), never typed in:
#: the history leaves them out, so the nightly rewrite of a birthday's tier and a
#: policy change's rewrite of every tier are no archive changes.
STORED_TIER_FIELDS = ["current_tier", "current_computed_tier", "current_tier_reasons"]


# The history keeps the last four characters of the ID number and when it last
# changed, never the number (nor its ciphertext, which lives in ElderIdNumber).
@pghistory.track(exclude=STORED_TIER_FIELDS)
class Elder(StationScoped):
    """One elder's archive (信息档案).

    The resident ID number is stored encrypted in ``ElderIdNumber`` (one row per
    archive, with the blind index for uniqueness and exact search), and its last
    four characters here for display and tail search (``elders.id_numbers``).
    ``elder.id_number`` reads and sets the whole number; ``save()`` writes it.
    Lists and searches never read the encrypted row.
    """

    # Denormalised from the station so that a resident ID number can be unique
    # within a district by a database constraint.
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    name = models.CharField(
        pgettext_lazy("person", "name"),
        max_length=50,
        validators=[no_control_characters],
    )
    #: The name's pinyin order (``elders.names.name_key``), set on every save.
    name_key = models.CharField(
        _("name in pinyin order"),
        max_length=KEY_LENGTH,
        default="",
        db_default="",
        editable=False,
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), validators=[plausible_birth_date])
    id_number_last4 = models.CharField(
        _("resident ID number"), max_length=4, default="", editable=False
    )
    id_number_changed_at = models.DateTimeField(
        _("ID number changed at"), null=True, blank=True, editable=False
    )
    phone = models.CharField(
        _("phone"), max_length=32, blank=True, validators=[no_control_characters]
    )
    address = models.CharField(
        _("address"), max_length=200, blank=True, validators=[no_control_characters]
    )
    hukou_local = models.BooleanField(
        _("household registered here"),
        default=True,
        help_text=_("Registered in the jurisdiction (户籍)."),
    )
    residence_since = models.DateField(
        _("living here since"),
        null=True,
        blank=True,
        validators=[plausible_date],
        help_text=_("For elders registered elsewhere: when they began living here."),
    )
    living_arrangement = models.CharField(
        _("living arrangement"), max_length=16, choices=LivingArrangement.choices
    )
    empty_nest = models.BooleanField(_("empty-nest"), default=False)
    categories = ArrayField(
        models.CharField(max_length=24, choices=Category.choices),
        verbose_name=_("special categories"),
        default=list,
        blank=True,
    )
    financial_difficulty = models.BooleanField(_("financial difficulty"), default=False)
    health_status = models.CharField(
        _("health status"), max_length=8, choices=HealthStatus.choices, blank=True
    )
    chronic_conditions = models.TextField(_("chronic conditions"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    tier_override = models.CharField(
        _("tier override"), max_length=16, choices=Tier.choices, blank=True
    )
    tier_override_reason = models.TextField(_("override reason"), blank=True)
    tier_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("overridden by"),
    )
    tier_override_at = models.DateTimeField(_("overridden at"), null=True, blank=True)
    # Today's tier as ``elders.eligibility`` decides it, kept up to date by the
    # actions, the nightly run and a policy change (``eligibility.tiers_store``),
    # so that a list of a million elders filters on a column. "": not yet known.
    current_tier = models.CharField(
        _("tier today"),
        max_length=16,
        choices=Tier.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    current_computed_tier = models.CharField(
        _("computed tier today"),
        max_length=16,
        choices=Tier.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    current_tier_reasons = ArrayField(
        models.CharField(max_length=40),
        verbose_name=_("grounds of the tier today"),
        default=list,
        db_default=models.Value([], output_field=ArrayField(models.CharField())),
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    #: Supervisors' scope reads the elder's own district column (indexed), not a
    #: join through the stations (``carecenter.scoping``).
    district_field = "district"

    objects = ElderQuerySet.as_manager()

    class Meta:
        ordering = ["name_key", "pk"]
        verbose_name = _("elder")
        verbose_name_plural = _("elders")
        constraints = [
            models.CheckConstraint(
                condition=Q(tier_override="") | ~Q(tier_override_reason=""),
                name="elder_override_has_reason",
                violation_error_message=_("A tier override needs a written reason."),
            ),
            models.CheckConstraint(
                condition=Q(hukou_local=True) | Q(residence_since__isnull=False),
                name="elder_residence_known",
                violation_error_message=_(
                    "For an elder registered elsewhere, give the date they began "
                    "living here."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["station", "status", "birth_date"]),
            models.Index(fields=["station", "name"]),
            # A station's list in pinyin order without sorting its elders.
            # The name is included: a surname search's range of keys is checked
            # against the name and counted without reading the rows.
            models.Index(
                fields=["station", "name_key", "id"],
                name="elder_station_pinyin",
                include=["name"],
            ),
            # A tier's elders in name order, for a station and for a district.
            # The name and birth date are included: a tier's page or count with
            # a surname or an age band checks them without reading the rows.
            models.Index(
                fields=["station", "current_tier", "name_key", "id"],
                name="elder_station_tier_name",
                include=["name", "birth_date"],
            ),
            models.Index(
                fields=["district", "current_tier", "name_key", "id"],
                name="elder_district_tier_name",
                include=["name", "birth_date"],
            ),
            # The district-wide list (supervisors) reads the first page in name
            # order, or by age, without sorting every elder of the district.
            models.Index(fields=["name", "id"], name="elder_name_order"),
            models.Index(fields=["name_key", "id"], name="elder_pinyin_order"),
            # The same within a district: a supervisor's page, search range and
            # capped count read it without visiting the rows.
            models.Index(
                fields=["district", "name_key", "id"],
                name="elder_district_name",
                include=["name"],
            ),
            models.Index(
                fields=["district", "status", "name_key", "id"],
                name="elder_district_status_name",
            ),
            models.Index(fields=["birth_date", "id"], name="elder_birth_order"),
            models.Index(fields=["created_at", "id"], name="elder_created_order"),
            GinIndex(fields=["categories"], name="elder_categories_gin"),
            # The name search: a Chinese name is found by its characters.
            GinIndex(Characters("name"), name="elder_name_chars_gin"),
            # A search by digits (a phone number's part) or Latin letters reads
            # trigram indexes, not every archive of a district (the names' one,
            # on UPPER(name) for ``icontains``, is made by migration 0012).
            GinIndex(
                fields=["phone"], opclasses=["gin_trgm_ops"], name="elder_phone_trgm"
            ),
            # The last four characters of the ID number, searched by staff.
            models.Index(fields=["id_number_last4"], name="elder_id_tail"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("elders:detail", args=[self.pk])

    # --- The resident ID number, encrypted at rest ----------------------------------

    @property
    def id_number(self) -> str:
        """The whole number, decrypted when first read (none on file: "").

        Reads the encrypted row (one query, or none after
        ``select_related("id_number_record")``).
        """
        if "_id_number" not in self.__dict__:
            number = ""
            if self.pk is not None:
                try:
                    number = id_numbers.unseal(self.id_number_record.encrypted)
                except ElderIdNumber.DoesNotExist:
                    pass
            self.__dict__["_id_number"] = number
        return self.__dict__["_id_number"]

    @id_number.setter
    def id_number(self, value: str) -> None:
        value = value or ""
        if value == self.id_number:
            return  # unchanged: keep the ciphertext (and the history quiet)
        sealed = id_numbers.seal(value)
        self.id_number_last4 = sealed.last4
        self.id_number_changed_at = timezone.now()
        self.__dict__["_id_number"] = value
        self.__dict__["_id_number_sealed"] = sealed

    def save(self, *args, **kwargs) -> None:
        """Save the archive and, when it changed, its encrypted ID number.

        The kept tier is written only by ``elders.eligibility``: saving an archive
        read earlier never puts back the tier it had then.
        """
        self.name_key = name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        if not self._state.adding and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key
                and f.name not in STORED_TIER_FIELDS
                and f.attname not in deferred
            ]
        sealed = self.take_sealed_id_number()
        if sealed is None:
            super().save(*args, **kwargs)
            return
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            ElderIdNumber.store([(self, sealed)])

    def take_sealed_id_number(self):
        """The sealed number set since the last save (for a bulk write), or None."""
        return self.__dict__.pop("_id_number_sealed", None)

    def refresh_from_db(self, *args, **kwargs) -> None:
        for name in ("_id_number", "_id_number_sealed"):
            self.__dict__.pop(name, None)
        super().refresh_from_db(*args, **kwargs)

    #: ID numbers already registered in the district, when a bulk write (the roster
    #: import) has read them all in one query; ``None``: ask the database.
    taken_id_numbers: set[str] | None = None

    def _id_number_taken(self) -> bool:
        if self.taken_id_numbers is not None:
            return self.id_number in self.taken_id_numbers
        return (
            Elder.objects.filter(district_id=self.district_id)
            .with_id_number(self.id_number)
            .exclude(pk=self.pk)
            .exists()
        )

    def clean(self) -> None:
        """Cross-field rules every write path shares (forms, API, roster import)."""
        errors: dict[str, list] = {}
        if self.station_id:
            self.district_id = self.station.district_id
        today = timezone.localdate()
        if self.birth_date and self.birth_date > today:
            errors.setdefault("birth_date", []).append(
                _("The birth date cannot be in the future.")
            )
        if not self.id_number:
            errors.setdefault("id_number", []).append(
                _("The resident ID number is required.")
            )
        if self.id_number:
            try:
                self.id_number = id_numbers.validate_id_number(
                    self.id_number,
                    birth_date=self.birth_date,
                    gender=self.gender or None,
                )
            except ValidationError as exc:
                errors.setdefault("id_number", []).extend(exc.messages)
            else:
                if self.district_id and self._id_number_taken():
                    errors.setdefault("id_number", []).append(
                        id_numbers.ALREADY_REGISTERED
                    )
        if not self.hukou_local and not self.residence_since:
            errors.setdefault("residence_since", []).append(
                _(
                    "For an elder registered elsewhere, give the date they began "
                    "living here."
                )
            )
        if self.residence_since and self.residence_since > today:
            errors.setdefault("residence_since", []).append(
                _("This date cannot be in the future.")
            )
        if (
            self.residence_since
            and self.birth_date
            and self.residence_since < self.birth_date
        ):
            errors.setdefault("residence_since", []).append(
                _("The elder cannot have begun living here before they were born.")
            )
        if errors:
            raise ValidationError(errors)

    @property
    def age(self) -> int:
        return age_on(self.birth_date, timezone.localdate())

    @property
    def category_labels(self) -> list[str]:
        return [Category(c).label for c in self.categories if c in Category.values]

    @classmethod
    def volunteer_scope(cls, user) -> Q | None:
        """Volunteers see only the elders of their active pairings (volunteers app)."""
        granted = getattr(cls, "_volunteer_scope_hook", None)
        return granted(user) if granted else None


class ElderIdNumber(models.Model):
    """An elder's resident ID number, encrypted (AES-GCM), and its blind index.

    Apart from the archive so that the elder list, searches and counts over a
    district never read it, and so that a key rotation rewrites only this table.
    Not in the history. The unique constraint on ``(district, index)`` keeps a
    number once per district without the database ever seeing it.
    """

    elder = models.OneToOneField(
        Elder,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="id_number_record",
        verbose_name=_("elder"),
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    encrypted = models.BinaryField(_("resident ID number (encrypted)"))
    index = models.BinaryField(_("resident ID number (blind index)"))

    station_field = "elder__station"

    class Meta:
        verbose_name = _("resident ID number")
        verbose_name_plural = _("resident ID numbers")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "index"],
                name="elder_id_number_unique_in_district",
                violation_error_message=id_numbers.ALREADY_REGISTERED,
            ),
        ]

    def __str__(self) -> str:
        return id_numbers.mask(self.elder.id_number_last4)

    @classmethod
    def store(cls, pairs) -> None:
        """Write the sealed numbers of saved archives: one statement for all."""
        cls.objects.bulk_create(
            [
                cls(
                    elder_id=elder.pk,
                    district_id=elder.district_id,
                    encrypted=sealed.encrypted,
                    index=sealed.index,
                )
                for elder, sealed in pairs
                if sealed.encrypted
            ],
            update_conflicts=True,
            unique_fields=["elder"],
            update_fields=["district", "encrypted", "index"],
        )
        cls.objects.filter(
            elder_id__in=[elder.pk for elder, sealed in pairs if not sealed.encrypted]
        ).delete()


# An elder's contacts, assessments and surveys keep their deletes in the history
# too: removing one is a change of the archive.
def with_deletes():
    # New trackers for every model: pghistory fills a tracker's fields in.
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


class FamilyContact(models.Model):
    elder = models.ForeignKey(
        Elder,
        on_delete=models.CASCADE,
        related_name="family_contacts",
        verbose_name=_("elder"),
    )
    name = models.CharField(
        pgettext_lazy("person", "name"),
        max_length=50,
        validators=[no_control_characters],
    )
    relation = models.CharField(
        _("relation"), max_length=30, validators=[no_control_characters]
    )
    phone = models.CharField(
        _("phone"), max_length=32, validators=[no_control_characters]
    )
    is_emergency = models.BooleanField(_("emergency contact"), default=False)

    station_field = "elder__station"

    class Meta:
        ordering = ["-is_emergency", "name"]
        verbose_name = _("family contact")
        verbose_name_plural = _("family contacts")

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})"


pghistory.track(*with_deletes())(FamilyContact)


class BarthelLevel(models.TextChoices):
    INDEPENDENT = "independent", _("Independent")
    MILD = "mild", _("Mild dependency")
    MODERATE = "moderate", _("Moderate dependency")
    SEVERE = "severe", _("Severe dependency")


#: The ten Barthel items and the scores each may take (Mahoney & Barthel, 1965).
BARTHEL_ITEMS: dict[str, tuple[str, tuple[int, ...]]] = {
    "feeding": (_("Feeding"), (0, 5, 10)),
    "bathing": (_("Bathing"), (0, 5)),
    "grooming": (_("Grooming"), (0, 5)),
    "dressing": (_("Dressing"), (0, 5, 10)),
    "bowels": (_("Bowels"), (0, 5, 10)),
    "bladder": (_("Bladder"), (0, 5, 10)),
    "toilet": (_("Toilet use"), (0, 5, 10)),
    "transfers": (_("Transfers (bed to chair and back)"), (0, 5, 10, 15)),
    "mobility": (_("Mobility on level surfaces"), (0, 5, 10, 15)),
    "stairs": (_("Stairs"), (0, 5, 10)),
}


#: What each score of each item means (the standard Barthel index wording, as
#: China's MZ/T 039 assessment form words it), shown beside every score.
BARTHEL_DESCRIPTIONS: dict[str, dict[int, str]] = {
    "feeding": {
        0: _("Dependent: must be fed"),
        5: _("Needs help: cutting food, spreading, mixing"),
        10: _("Independent: eats within reach on their own"),
    },
    "bathing": {
        0: _("Dependent: needs help to bathe"),
        5: _("Independent: bathes or showers without help"),
    },
    "grooming": {
        0: _("Needs help with personal care"),
        5: _("Independent: face, hair, teeth, shaving"),
    },
    "dressing": {
        0: _("Dependent"),
        5: _("Needs help, but does about half alone"),
        10: _("Independent: including buttons, zips, laces"),
    },
    "bowels": {
        0: _("Incontinent, or needs enemas"),
        5: _("Occasional accident (less than once a week)"),
        10: _("Continent"),
    },
    "bladder": {
        0: _("Incontinent, or catheterised and unable to manage"),
        5: _("Occasional accident (at most once in 24 hours)"),
        10: _("Continent"),
    },
    "toilet": {
        0: _("Dependent"),
        5: _("Needs some help, but does something alone"),
        10: _("Independent: on and off, dressing, wiping"),
    },
    "transfers": {
        0: _("Unable: no sitting balance"),
        5: _("Major help (one or two people), can sit"),
        10: _("Minor help or supervision"),
        15: _("Independent"),
    },
    "mobility": {
        0: _("Immobile, or walks less than 45 m"),
        5: _("Wheelchair independent over 45 m, corners included"),
        10: _("Walks 45 m with the help of one person"),
        15: _("Walks 45 m alone (an aid such as a stick allowed)"),
    },
    "stairs": {
        0: _("Unable"),
        5: _("Needs help (verbal, physical, carrying aid)"),
        10: _("Independent up and down"),
    },
}


def barthel_level(total: int) -> str:
    """PRODUCT.md: 100 independent, 61–99 mild, 41–60 moderate, ≤40 severe."""
    if total == 100:
        return BarthelLevel.INDEPENDENT
    if total >= 61:
        return BarthelLevel.MILD
    if total >= 41:
        return BarthelLevel.MODERATE
    return BarthelLevel.SEVERE


def _score_field(key: str):
    label, scale = BARTHEL_ITEMS[key]
    return models.PositiveSmallIntegerField(label, choices=[(s, str(s)) for s in scale])


class BarthelAssessment(models.Model):
    """A Barthel index assessment; the total and level are computed, never typed in."""

    elder = models.ForeignKey(
        Elder,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("elder"),
    )
    assessed_on = models.DateField(_("assessed on"), validators=[plausible_date])
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("assessed by"),
    )
    feeding = _score_field("feeding")
    bathing = _score_field("bathing")
    grooming = _score_field("grooming")
    dressing = _score_field("dressing")
    bowels = _score_field("bowels")
    bladder = _score_field("bladder")
    toilet = _score_field("toilet")
    transfers = _score_field("transfers")
    mobility = _score_field("mobility")
    stairs = _score_field("stairs")
    total = models.GeneratedField(
        expression=models.F("feeding")
        + models.F("bathing")
        + models.F("grooming")
        + models.F("dressing")
        + models.F("bowels")
        + models.F("bladder")
        + models.F("toilet")
        + models.F("transfers")
        + models.F("mobility")
        + models.F("stairs"),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
        verbose_name=_("total"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    station_field = "elder__station"

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        verbose_name = _("Barthel assessment")
        verbose_name_plural = _("Barthel assessments")
        indexes = [
            models.Index(
                fields=["elder", "-assessed_on", "-id"], name="assessment_latest_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(feeding__in=[0, 5, 10])
                & Q(bathing__in=[0, 5])
                & Q(grooming__in=[0, 5])
                & Q(dressing__in=[0, 5, 10])
                & Q(bowels__in=[0, 5, 10])
                & Q(bladder__in=[0, 5, 10])
                & Q(toilet__in=[0, 5, 10])
                & Q(transfers__in=[0, 5, 10, 15])
                & Q(mobility__in=[0, 5, 10, 15])
                & Q(stairs__in=[0, 5, 10]),
                name="assessment_scores_on_scale",
            )
        ]

    def __str__(self) -> str:
        return f"{self.elder} {self.assessed_on} Barthel {self.total}"

    @property
    def level(self) -> str:
        return barthel_level(self.total)

    def get_level_display(self) -> str:
        return BarthelLevel(self.level).label


pghistory.track(*with_deletes())(BarthelAssessment)


class NeedsSurvey(models.Model):
    """One visit's answers to the service-needs questionnaire (服务需求调查问卷)."""

    elder = models.ForeignKey(
        Elder,
        on_delete=models.CASCADE,
        related_name="needs_surveys",
        verbose_name=_("elder"),
    )
    surveyed_on = models.DateField(_("surveyed on"), validators=[plausible_date])
    surveyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("surveyed by"),
    )
    needs = ArrayField(
        models.CharField(max_length=32), verbose_name=_("services needed"), default=list
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    station_field = "elder__station"

    class Meta:
        ordering = ["-surveyed_on", "-pk"]
        verbose_name = _("needs survey")
        verbose_name_plural = _("needs surveys")
        indexes = [models.Index(fields=["elder", "-surveyed_on"])]

    def __str__(self) -> str:
        return f"{self.elder} {self.surveyed_on}"

    @property
    def need_labels(self) -> list[str]:
        from carecenter.catalogue import ServiceKind

        return [ServiceKind(n).label for n in self.needs if n in ServiceKind.values]


pghistory.track(*with_deletes())(NeedsSurvey)


@pghistory.track()
class EligibilityPolicy(models.Model):
    """The thresholds of the eligibility rules, editable by the administrator.

    One row (pk=1); ``EligibilityPolicy.current()`` creates it with the values of
    PRODUCT.md (60, 75, 2 years) on first use.
    """

    service_age = models.PositiveSmallIntegerField(
        _("service age"),
        default=60,
        validators=[MinValueValidator(40), MaxValueValidator(100)],
        help_text=_("Age from which a resident is a service object."),
    )
    senior_age = models.PositiveSmallIntegerField(
        _("senior age"),
        default=75,
        validators=[MinValueValidator(40), MaxValueValidator(120)],
        help_text=_("Age from which the free and low-cost rules for the oldest apply."),
    )
    residence_years = models.PositiveSmallIntegerField(
        _("years of residence"),
        default=2,
        validators=[MaxValueValidator(50)],
        help_text=_("Years of continuous residence that count like a local household."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("eligibility policy")
        verbose_name_plural = _("eligibility policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(pk=1), name="eligibility_policy_single_row"
            ),
            models.CheckConstraint(
                condition=Q(senior_age__gte=models.F("service_age")),
                name="eligibility_policy_senior_after_service_age",
                violation_error_message=_(
                    "The senior age cannot be below the service age."
                ),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Eligibility policy"))

    @classmethod
    def current(cls) -> EligibilityPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class TierRun(models.Model):
    """A rewrite of the kept tiers (``Elder.current_tier``): the day it made them
    true for, which elders it looked at, and how many tiers changed.

    The nightly run reads the latest day to know which birthdays and residence
    anniversaries it has not yet seen (a night missed is caught up the next).
    """

    class Kind(models.TextChoices):
        NIGHTLY = "nightly", _("Birthdays and residence anniversaries")
        ALL = "all", _("Every elder")

    on = models.DateField(_("tiers of"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    looked_at = models.PositiveIntegerField(_("elders looked at"), default=0)
    changed = models.PositiveIntegerField(_("tiers changed"), default=0)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))

    class Meta:
        ordering = ["-on", "-pk"]
        verbose_name = _("tier run")
        verbose_name_plural = _("tier runs")

    def __str__(self) -> str:
        return f"{self.on} {self.get_kind_display()}"
