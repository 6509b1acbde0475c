"""The write rules of the volunteers app: pairings, visits, follow-ups, the ledger."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from carecenter.models import Role, RoleAssignment
from elders.tests.factories import ElderFactory
from volunteers import actions
from volunteers.models import HoursEntry, Pairing, Visit
from volunteers.qualifications import (
    PROFESSIONAL_SERVICES,
    missing_certificates,
    qualified_for,
)
from volunteers.tests.factories import (
    CertificateFactory,
    PairingFactory,
    TeamFactory,
    VolunteerFactory,
    hours_ago,
)

pytestmark = pytest.mark.django_db


def log(actor, volunteer, elder, **overrides):
    data = {
        "started_at": hours_ago(2),
        "ended_at": hours_ago(1),
        "services": ["chat"],
    }
    data.update(overrides)
    return actions.visit_log(actor=actor, volunteer=volunteer, elder=elder, **data)


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


# --- Visits -----------------------------------------------------------------------


class TestVisitLog:
    def test_a_volunteer_logs_a_visit_and_the_ledger_credits_it(self, cast, crew):
        visit = log(
            cast.volunteer_a,
            crew.me,
            crew.paired,
            started_at=hours_ago(3),
            ended_at=hours_ago(1, 15),
            systolic=135,
            diastolic=85,
            blood_sugar=Decimal("6.2"),
        )
        assert visit.station == cast.a and visit.logged_by == cast.volunteer_a
        entry = HoursEntry.objects.get(visit=visit)
        assert entry.minutes == 105 == visit.minutes
        assert entry.volunteer == crew.me and entry.month.day == 1

    def test_the_end_must_follow_the_start(self, cast, crew):
        with pytest.raises(ValidationError) as exc:
            log(cast.volunteer_a, crew.me, crew.paired, ended_at=hours_ago(2))
        assert "ended_at" in errors_of(exc)
        assert not Visit.objects.exists() and not HoursEntry.objects.exists()

    def test_a_visit_cannot_end_in_the_future(self, cast, crew):
        later = timezone.now() + datetime.timedelta(minutes=30)
        with pytest.raises(ValidationError) as exc:
            log(cast.volunteer_a, crew.me, crew.paired, ended_at=later)
        assert "ended_at" in errors_of(exc)

    def test_a_visit_lasts_at_most_twelve_hours(self, cast, crew):
        with pytest.raises(ValidationError):
            log(cast.volunteer_a, crew.me, crew.paired, started_at=hours_ago(14))

    @pytest.mark.parametrize(
        "start, end",
        [((3, 0), (1, 30)), ((1, 30), (0, 30)), ((2, 30), (1, 30)), ((3, 0), (0, 0))],
    )
    def test_it_refuses_an_overlap_with_the_volunteers_own_visits(
        self, cast, crew, start, end
    ):
        log(
            cast.volunteer_a,
            crew.me,
            crew.paired,
            started_at=hours_ago(2),
            ended_at=hours_ago(1),
        )
        with pytest.raises(ValidationError) as exc:
            log(
                cast.volunteer_a,
                crew.me,
                crew.paired,
                started_at=hours_ago(*start),
                ended_at=hours_ago(*end),
            )
        assert "started_at" in errors_of(exc)
        assert Visit.objects.count() == 1 == HoursEntry.objects.count()

    def test_back_to_back_visits_do_not_overlap(self, cast, crew):
        log(cast.volunteer_a, crew.me, crew.paired, ended_at=hours_ago(1))
        log(
            cast.volunteer_a,
            crew.me,
            crew.paired,
            started_at=hours_ago(1),
            ended_at=hours_ago(0, 0),
        )
        assert Visit.objects.count() == 2

    def test_another_volunteer_may_visit_at_the_same_time(self, cast, crew):
        other = VolunteerFactory(station=cast.a)
        PairingFactory(volunteer=other, elder=crew.paired)
        log(cast.volunteer_a, crew.me, crew.paired)
        log(cast.staff_a, other, crew.paired)
        assert Visit.objects.count() == 2

    def test_the_elder_must_be_paired_with_the_volunteer(self, cast, crew):
        with pytest.raises(ValidationError) as exc:
            log(cast.volunteer_a, crew.me, crew.unpaired)
        assert "elder" in errors_of(exc)

    def test_a_claim_not_yet_approved_is_not_a_pairing(self, cast, crew):
        Pairing.objects.filter(pk=crew.pairing.pk).update(approved_at=None)
        with pytest.raises(ValidationError):
            log(cast.volunteer_a, crew.me, crew.paired)

    def test_an_ended_pairing_is_not_a_pairing(self, cast, crew):
        actions.pairing_end(actor=cast.staff_a, pairing=crew.pairing, reason="搬家")
        with pytest.raises(ValidationError):
            log(cast.volunteer_a, crew.me, crew.paired)

    def test_the_elder_must_be_active(self, cast, crew):
        crew.paired.status = "deceased"
        crew.paired.save()
        with pytest.raises(ValidationError) as exc:
            log(cast.volunteer_a, crew.me, crew.paired)
        assert "elder" in errors_of(exc)

    def test_a_follow_up_needs_a_reason(self, cast, crew):
        with pytest.raises(ValidationError) as exc:
            log(cast.volunteer_a, crew.me, crew.paired, needs_follow_up=True)
        assert "follow_up_reason" in errors_of(exc)

    @pytest.mark.parametrize(
        "values, field",
        [
            ({"systolic": 130}, "systolic"),
            ({"systolic": 80, "diastolic": 120}, "systolic"),
            ({"systolic": 400, "diastolic": 80}, "systolic"),
            ({"blood_sugar": Decimal("55")}, "blood_sugar"),
        ],
    )
    def test_implausible_health_figures_are_refused(self, cast, crew, values, field):
        with pytest.raises(ValidationError) as exc:
            log(cast.volunteer_a, crew.me, crew.paired, **values)
        assert field in errors_of(exc)

    def test_unknown_service_codes_are_refused(self, cast, crew):
        with pytest.raises(ValidationError) as exc:
            log(cast.volunteer_a, crew.me, crew.paired, services=["karaoke"])
        assert "services" in errors_of(exc)

    def test_a_professional_service_needs_a_valid_certificate(self, cast, crew):
        with pytest.raises(ValidationError) as exc:
            log(cast.volunteer_a, crew.me, crew.paired, services=["medical"])
        assert "services" in errors_of(exc)
        CertificateFactory(
            volunteer=crew.me,
            kind="medical",
            issued_on=datetime.date(2019, 1, 1),
            expires_on=datetime.date(2020, 1, 1),
        )
        with pytest.raises(ValidationError):
            log(cast.volunteer_a, crew.me, crew.paired, services=["medical"])
        CertificateFactory(volunteer=crew.me, kind="medical", expires_on=None)
        assert log(cast.volunteer_a, crew.me, crew.paired, services=["medical"])

    def test_a_volunteer_cannot_log_for_another_volunteer(self, cast, crew):
        other = VolunteerFactory(station=cast.a)
        PairingFactory(volunteer=other, elder=crew.paired)
        with pytest.raises(PermissionDenied):
            log(cast.volunteer_a, other, crew.paired)

    def test_a_volunteer_without_the_role_cannot_log(self, cast, crew):
        RoleAssignment.objects.filter(
            user=cast.volunteer_a, role=Role.VOLUNTEER
        ).delete()
        cast.volunteer_a.__dict__.pop("role_assignments", None)
        cast.volunteer_a.__dict__.pop("_carecenter_scope", None)
        with pytest.raises(Http404):
            log(cast.volunteer_a, crew.me, crew.paired)

    def test_staff_of_another_station_cannot_log(self, cast, crew):
        with pytest.raises(Http404):
            log(cast.staff_b, crew.me, crew.paired)
        with pytest.raises(PermissionDenied):
            log(cast.supervisor, crew.me, crew.paired)


@pytest.mark.django_db(transaction=True)
def test_two_phones_at_once_cannot_log_overlapping_visits(cast):
    """Two overlapping visits of one volunteer, to two elders, logged at the same
    moment: one is saved, the other refused with the overlap message (not a
    deadlock error, which is what the exclusion constraint alone gives)."""
    me = VolunteerFactory(station=cast.a, user=cast.volunteer_a)
    first, second = ElderFactory(station=cast.a), ElderFactory(station=cast.a)
    PairingFactory(volunteer=me, elder=first)
    PairingFactory(volunteer=me, elder=second)
    outcomes: list[str] = []

    def log_in_thread(elder, start, end):
        try:
            barrier.wait(timeout=10)
            actions.visit_log(
                actor=cast.volunteer_a,
                volunteer=me,
                elder=elder,
                started_at=start,
                ended_at=end,
            )
            outcomes.append("saved")
        except ValidationError as exc:
            outcomes.append("refused" if "started_at" in exc.message_dict else "other")
        except Exception as exc:  # shown by the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    for _attempt in range(5):  # a few rounds: the race must be lost every time
        HoursEntry.objects.all().delete()
        Visit.objects.all().delete()
        outcomes.clear()
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(
                target=log_in_thread, args=(first, hours_ago(3), hours_ago(1))
            ),
            threading.Thread(
                target=log_in_thread, args=(second, hours_ago(2), hours_ago(0, 30))
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["refused", "saved"]
        assert Visit.objects.count() == 1 == HoursEntry.objects.count()


def test_the_database_refuses_overlapping_visits_of_one_volunteer(cast, crew):
    from django.db import IntegrityError, transaction

    log(cast.volunteer_a, crew.me, crew.paired)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(
            station=cast.a,
            volunteer=crew.me,
            elder=crew.paired,
            started_at=hours_ago(1, 30),
            ended_at=hours_ago(0, 30),
        )


# --- Follow-ups -------------------------------------------------------------------


class TestFollowUp:
    def flagged(self, cast, crew):
        return log(
            cast.volunteer_a,
            crew.me,
            crew.paired,
            needs_follow_up=True,
            follow_up_reason="头晕",
        )

    def test_staff_resolve_it_with_a_note(self, cast, crew):
        visit = actions.follow_up_resolve(
            actor=cast.staff_a, visit=self.flagged(cast, crew), note="已通知家属"
        )
        assert (
            visit.resolved_by == cast.staff_a and visit.resolution_note == "已通知家属"
        )
        assert not visit.follow_up_open

    def test_a_note_is_required_and_once_is_enough(self, cast, crew):
        visit = self.flagged(cast, crew)
        with pytest.raises(ValidationError):
            actions.follow_up_resolve(actor=cast.staff_a, visit=visit, note=" ")
        actions.follow_up_resolve(actor=cast.staff_a, visit=visit, note="已处理")
        with pytest.raises(ValidationError):
            actions.follow_up_resolve(actor=cast.staff_a, visit=visit, note="again")

    def test_read_only_roles_and_other_stations_cannot_resolve(self, cast, crew):
        visit = self.flagged(cast, crew)
        with pytest.raises(PermissionDenied):
            actions.follow_up_resolve(actor=cast.supervisor, visit=visit, note="x")
        with pytest.raises(PermissionDenied):
            actions.follow_up_resolve(actor=cast.volunteer_a, visit=visit, note="x")
        with pytest.raises(Http404):
            actions.follow_up_resolve(actor=cast.staff_b, visit=visit, note="x")


# --- Pairings ---------------------------------------------------------------------


class TestPairing:
    def claim(self, cast, volunteer, elder, **kwargs):
        return actions.pairing_claim(
            actor=cast.staff_a, volunteer=volunteer, elder=elder, **kwargs
        )

    def test_claim_approve_sign_and_end(self, cast):
        volunteer, elder = (
            VolunteerFactory(station=cast.a),
            ElderFactory(station=cast.a),
        )
        pairing = self.claim(cast, volunteer, elder, services=["chat"])
        assert pairing.state == "claimed" and not pairing.in_force
        with pytest.raises(PermissionDenied):
            actions.pairing_approve(actor=cast.staff_a, pairing=pairing)
        with pytest.raises(ValidationError):
            actions.pairing_sign_letter(
                actor=cast.staff_a, pairing=pairing, signed_on=timezone.localdate()
            )
        pairing = actions.pairing_approve(actor=cast.manager_a, pairing=pairing)
        assert pairing.in_force and pairing.approved_by == cast.manager_a
        with pytest.raises(ValidationError):
            actions.pairing_approve(actor=cast.manager_a, pairing=pairing)
        with pytest.raises(ValidationError):
            actions.pairing_sign_letter(
                actor=cast.staff_a,
                pairing=pairing,
                signed_on=timezone.localdate() + datetime.timedelta(days=1),
            )
        pairing = actions.pairing_sign_letter(
            actor=cast.staff_a, pairing=pairing, signed_on=timezone.localdate()
        )
        assert pairing.letter_signed_on == timezone.localdate()
        with pytest.raises(ValidationError):
            actions.pairing_end(actor=cast.staff_a, pairing=pairing, reason="")
        pairing = actions.pairing_end(
            actor=cast.staff_a, pairing=pairing, reason="老人入住养老院"
        )
        assert pairing.state == "ended" and pairing.ended_on == timezone.localdate()
        # Once ended, the same two may pair again.
        assert self.claim(cast, volunteer, elder).active

    def test_one_active_pairing_per_volunteer_and_elder(self, cast):
        volunteer, elder = (
            VolunteerFactory(station=cast.a),
            ElderFactory(station=cast.a),
        )
        self.claim(cast, volunteer, elder)
        with pytest.raises(ValidationError):
            self.claim(cast, volunteer, elder)
        assert Pairing.objects.count() == 1

    def test_the_elder_must_be_active_and_of_the_same_station(self, cast):
        volunteer = VolunteerFactory(station=cast.a)
        with pytest.raises(ValidationError) as exc:
            self.claim(cast, volunteer, ElderFactory(station=cast.a, status="moved"))
        assert "elder" in errors_of(exc)
        with pytest.raises(ValidationError):
            self.claim(cast, volunteer, ElderFactory(station=cast.b))

    def test_a_professional_service_needs_a_certificate_to_be_paired(self, cast):
        volunteer, elder = (
            VolunteerFactory(station=cast.a),
            ElderFactory(station=cast.a),
        )
        with pytest.raises(ValidationError) as exc:
            self.claim(cast, volunteer, elder, services=["chat", "repair"])
        assert "services" in errors_of(exc)
        CertificateFactory(volunteer=volunteer, kind="electrician")
        assert self.claim(cast, volunteer, elder, services=["chat", "repair"])

    def test_other_stations_and_read_only_roles_cannot_claim(self, cast):
        volunteer, elder = (
            VolunteerFactory(station=cast.a),
            ElderFactory(station=cast.a),
        )
        with pytest.raises(Http404):
            actions.pairing_claim(actor=cast.staff_b, volunteer=volunteer, elder=elder)
        for user in (cast.supervisor, cast.volunteer_a):
            with pytest.raises(PermissionDenied):
                actions.pairing_claim(actor=user, volunteer=volunteer, elder=elder)


# --- Qualifications, teams, volunteers, logins -------------------------------------


def test_the_professional_list_and_certificate_validity(cast):
    volunteer = VolunteerFactory(station=cast.a)
    today = timezone.localdate()
    assert set(PROFESSIONAL_SERVICES) >= {"medical", "rehab", "bathing", "repair"}
    assert missing_certificates(volunteer, ["chat", "meal"], on=today) == []
    assert missing_certificates(volunteer, ["bathing", "chat"], on=today) == ["bathing"]
    CertificateFactory(
        volunteer=volunteer,
        kind="elder_care",
        issued_on=today - datetime.timedelta(days=10),
        expires_on=today,
    )
    assert missing_certificates(volunteer, ["bathing"], on=today) == []
    tomorrow = today + datetime.timedelta(days=1)
    assert missing_certificates(volunteer, ["bathing"], on=tomorrow) == ["bathing"]
    others = VolunteerFactory(station=cast.a)
    pool = type(volunteer).objects.filter(pk__in=[volunteer.pk, others.pk])
    assert list(qualified_for(pool, "bathing", on=today)) == [volunteer]
    assert qualified_for(pool, "chat", on=today).count() == 2


def test_a_team_leader_and_a_volunteers_team_belong_to_the_station(cast):
    stranger = VolunteerFactory(station=cast.b)
    with pytest.raises(ValidationError):
        actions.team_save(
            actor=cast.staff_a,
            station=cast.a,
            data={"name": "队", "kind": "youth", "leader": stranger},
        )
    team_b = TeamFactory(station=cast.b)
    data = {
        "name": "林志明",
        "gender": "M",
        "birth_date": datetime.date(2001, 1, 1),
        "phone": "138",
        "team": team_b,
        "specialties": ["culture"],
    }
    with pytest.raises(ValidationError) as exc:
        actions.volunteer_register(actor=cast.staff_a, station=cast.a, data=data)
    assert "team" in errors_of(exc)
    data["team"] = TeamFactory(station=cast.a)
    volunteer = actions.volunteer_register(
        actor=cast.staff_a, station=cast.a, data=data
    )
    assert volunteer.station == cast.a and volunteer.specialties == ["culture"]


def test_a_login_for_a_volunteer_gets_the_volunteer_role(cast):
    volunteer = VolunteerFactory(station=cast.a)
    with pytest.raises(ValidationError):
        actions.volunteer_login_create(
            actor=cast.staff_a, volunteer=volunteer, username="staff_a", password="x"
        )
    user = actions.volunteer_login_create(
        actor=cast.staff_a,
        volunteer=volunteer,
        username="lin_zm",
        password="a-long-Pass-phrase-9",
    )
    assert user.check_password("a-long-Pass-phrase-9")
    assert user.has_role(Role.VOLUNTEER)
    volunteer.refresh_from_db()
    assert volunteer.user == user
