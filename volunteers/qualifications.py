"""Which services need a certificate, and who holds one (PRODUCT.md, "Volunteer teams").

The one place that decides it: pairings, visits and (in the services app) service
records delivered by a volunteer all ask ``missing_certificates`` or narrow their
choices with ``qualified_for``. A professional service may be done only by a
volunteer holding a certificate of one of the listed kinds that is valid on the
day (issued on or before it, and not expired).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from carecenter.catalogue import ServiceKind
from volunteers.models import Certificate, CertificateKind, Volunteer

#: Professional services and the certificates that qualify a volunteer for each.
PROFESSIONAL_SERVICES: dict[str, frozenset[str]] = {
    ServiceKind.MEDICAL: frozenset({CertificateKind.MEDICAL}),
    ServiceKind.REHAB: frozenset({CertificateKind.REHAB, CertificateKind.MEDICAL}),
    ServiceKind.BATHING: frozenset(
        {CertificateKind.ELDER_CARE, CertificateKind.MEDICAL}
    ),
    ServiceKind.DAY_CARE: frozenset(
        {CertificateKind.ELDER_CARE, CertificateKind.MEDICAL}
    ),
    ServiceKind.REPAIR: frozenset({CertificateKind.ELECTRICIAN}),
    ServiceKind.COUNSELLING: frozenset({CertificateKind.COUNSELLOR}),
    ServiceKind.LEGAL_AID: frozenset({CertificateKind.LAWYER}),
}


def is_professional(service: str) -> bool:
    return service in PROFESSIONAL_SERVICES


def valid_on(day: datetime.date) -> Q:
    """Certificates valid on ``day``."""
    return Q(issued_on__lte=day) & (Q(expires_on__isnull=True) | Q(expires_on__gte=day))


def missing_certificates(
    volunteer: Volunteer, services: Iterable[str], *, on: datetime.date
) -> list[str]:
    """The professional services of ``services`` the volunteer may not do on ``on``."""
    needed = [s for s in dict.fromkeys(services) if s in PROFESSIONAL_SERVICES]
    if not needed:
        return []
    held = set(
        Certificate.objects.filter(valid_on(on), volunteer=volunteer).values_list(
            "kind", flat=True
        )
    )
    return [s for s in needed if not (PROFESSIONAL_SERVICES[s] & held)]


def services_allowed(volunteer: Volunteer, *, on: datetime.date) -> list[str]:
    """Every service the volunteer may do on ``on``, in the catalogue's order
    (one query): the ordinary ones, and the professional ones they hold a
    certificate for."""
    missing = set(missing_certificates(volunteer, ServiceKind.values, on=on))
    return [s for s in ServiceKind.values if s not in missing]


def qualified_for(
    volunteers: QuerySet[Volunteer], service: str, *, on: datetime.date
) -> QuerySet[Volunteer]:
    """``volunteers`` narrowed to those who may do ``service`` on ``on`` (one query)."""
    kinds = PROFESSIONAL_SERVICES.get(service)
    if not kinds:
        return volunteers
    return volunteers.filter(
        Exists(
            Certificate.objects.filter(
                valid_on(on), volunteer=OuterRef("pk"), kind__in=kinds
            )
        )
    )
