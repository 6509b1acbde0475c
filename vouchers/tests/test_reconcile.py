"""The reconciliation: silent when the books agree, naming what disagrees after a
row was forced past the database's guards, exit status 0 / 1, the nightly run on
the administrator's home page.

Tampering needs the guards off. They are ``ENABLE ALWAYS`` triggers, so
``session_replication_role = replica`` does not switch them off (see
``test_ledger_guards``); the tests disable them as the tables' owner would, with
``ALTER TABLE … DISABLE TRIGGER USER``, inside the test's transaction.
"""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from services import actions as service_actions
from services.tests.factories import AgreementFactory, ProviderFactory, service_type
from vouchers import tasks
from vouchers.models import Cycle, Grant, LedgerEntry, ReconciliationRun
from vouchers.reconcile import reconcile
from vouchers.tests.conftest import free_elder, issue, low_cost_elder
from vouchers.tests.test_ledger import at

ROOT = Path(__file__).resolve().parents[2]


#: The money guards (vouchers migration 0003), ``ENABLE ALWAYS`` when on.
GUARDS = {
    "vouchers_grant": [
        "grant_agrees_with_ledger_insert",
        "grant_agrees_with_ledger_update",
    ],
    "vouchers_ledgerentry": [
        "ledger_append_only_rows",
        "ledger_append_only_truncate",
        "ledger_entry_moves_its_grant",
    ],
}


def tamper(sql: str, params=None) -> None:
    """Write ``sql`` past the money guards, as the tables' owner could."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks
        for table in GUARDS:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        for table, names in GUARDS.items():
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            for name in names:
                cursor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")


def run_command(*args) -> str:
    """``reconcile_vouchers`` in-process: its output, or CommandError."""
    from io import StringIO

    out = StringIO()
    call_command("reconcile_vouchers", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def books(cast):
    """Two stations' vouchers, a provider's voucher-paid service and a cancelled one."""
    elder_a, elder_b = free_elder(cast.a), low_cost_elder(cast.b)
    issue(stations=[cast.a, cast.b])
    provider = ProviderFactory(station=cast.a)
    AgreementFactory(provider=provider, prices={"meal_delivery": "40.00"})
    paid = service_actions.service_record_create(
        actor=cast.staff_a,
        elder=elder_a,
        service_type=service_type("meal_delivery"),
        delivered_at=at(10),
        duration_minutes=30,
        price=Decimal("40.00"),
        quantity=Decimal("2"),
        provider=provider,
    )
    cancelled = service_actions.service_record_create(
        actor=cast.staff_a,
        elder=elder_a,
        service_type=service_type("chat"),
        delivered_at=at(11),
        duration_minutes=30,
        price=Decimal("25.00"),
        staff=cast.staff_a,
    )
    service_actions.service_record_cancel(
        actor=cast.staff_a, record=cancelled, reason="登记错误"
    )
    return {"a": elder_a, "b": elder_b, "paid": paid, "provider": provider}


pytestmark = pytest.mark.django_db


def test_books_that_agree_reconcile(books):
    result = reconcile()
    assert result.ok
    assert result.checked == {"grants": 2, "cycles": 2, "records": 2}
    assert "The voucher money reconciles" in run_command()


def test_a_grant_s_balance_changed_behind_the_ledger_is_named(books, cast):
    grant = Grant.objects.get(elder=books["a"])
    tamper(
        "UPDATE vouchers_grant SET remaining = remaining - 50 WHERE id = %s",
        [grant.pk],
    )
    with pytest.raises(CommandError) as caught:
        run_command()
    assert caught.value.returncode == 1
    [found] = reconcile().disagreements
    assert found.check == "grant"
    assert found.subject.startswith(f"grant {grant.pk} ")
    assert "remaining 170.00 but its ledger entries add up to 220.00" in found.detail
    # The other station's books are fine on their own.
    assert "reconciles" in run_command("--station", "B")
    with pytest.raises(CommandError):
        run_command("--station", "A")


def test_a_grant_s_amount_raised_with_its_balance_is_named(books):
    grant = Grant.objects.get(elder=books["b"])
    tamper(
        "UPDATE vouchers_grant SET amount = 1150, remaining = remaining + 1000 "
        "WHERE id = %s",
        [grant.pk],
    )
    details = [d.detail for d in reconcile().disagreements]
    assert any("amount 1150.00 but its grant entry is 150.00" in d for d in details)
    # Its cycle no longer adds up either.
    assert "shows ¥150.00, its grants add up to ¥1150.00" in details


def test_a_deleted_ledger_entry_is_named(books):
    entry = LedgerEntry.objects.get(kind="redemption", service_record=books["paid"])
    tamper("DELETE FROM vouchers_ledgerentry WHERE id = %s", [entry.pk])
    checks = {d.check for d in reconcile().disagreements}
    # The grant's balance, the record's payment and the provider's statement.
    assert checks == {"grant", "record", "statement"}


def test_an_entry_moved_to_another_elder_is_named(books):
    entry = LedgerEntry.objects.get(kind="redemption", service_record=books["paid"])
    tamper(
        "UPDATE vouchers_ledgerentry SET elder_id = %s WHERE id = %s",
        [books["b"].pk, entry.pk],
    )
    [found] = reconcile().disagreements
    assert (found.check, found.subject) == (
        "entry",
        f"ledger entry {entry.pk} (redemption -80.00)",
    )


def test_a_cycle_whose_counts_were_changed_is_named(books, cast):
    cycle = Cycle.objects.get(station=cast.a)
    tamper("UPDATE vouchers_cycle SET grants_count = 7 WHERE id = %s", [cycle.pk])
    [found] = reconcile().disagreements
    assert found.check == "cycle"
    assert "shows 7 grants" in found.detail


def test_a_record_paid_more_than_the_ledger_says_is_named(books):
    paid = books["paid"]
    tamper(
        "UPDATE services_servicerecord SET voucher_paid = 100, self_paid = 0 "
        "WHERE id = %s",
        [paid.pk],
    )
    disagreements = reconcile().disagreements
    assert {d.check for d in disagreements} == {"record", "statement"}
    statement = next(d for d in disagreements if d.check == "statement")
    assert statement.subject.startswith(f"provider {books['provider'].pk} statement")
    assert "records say ¥100.00 paid by vouchers, the ledger ¥80.00" in (
        statement.detail
    )


def test_the_nightly_task_keeps_the_run_and_alerts_the_administrator(
    books, cast, client
):
    assert tasks.reconcile.delay().get()["disagreements"] == 0
    client.force_login(cast.admin)
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "disagreements" not in home

    grant = Grant.objects.get(elder=books["a"])
    tamper("UPDATE vouchers_grant SET remaining = 0 WHERE id = %s", [grant.pk])
    assert tasks.reconcile.delay().get()["disagreements"] == 1
    run = ReconciliationRun.objects.first()
    assert run.disagreement_count == 1
    assert run.disagreements[0]["subject"].startswith(f"grant {grant.pk} ")

    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "found 1 disagreements" in home
    assert reverse("vouchers:reconciliation") in home
    page = client.get(reverse("vouchers:reconciliation"), HTTP_ACCEPT_LANGUAGE="en")
    assert f"grant {grant.pk} " in page.content.decode()


@pytest.mark.parametrize("who", ["staff_a", "manager_a", "supervisor", "volunteer_a"])
def test_only_administrators_see_the_reconciliation(books, cast, client, who):
    grant = Grant.objects.get(elder=books["a"])
    tamper("UPDATE vouchers_grant SET remaining = 0 WHERE id = %s", [grant.pk])
    tasks.reconcile.delay().get()
    client.force_login(getattr(cast, who))
    assert client.get(reverse("vouchers:reconciliation")).status_code == 403
    home = client.get(reverse("home"), follow=True).content.decode()
    assert "reconciliation" not in home


def test_the_reconciliation_page_costs_the_same_for_few_or_many_runs(
    books, cast, client, django_assert_max_num_queries
):
    client.force_login(cast.admin)
    tasks.reconcile.delay().get()
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("vouchers:reconciliation"))
    for _ in range(10):
        tasks.reconcile.delay().get()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("vouchers:reconciliation"))


# --- The command as a shell runs it: exit status ----------------------------------


def _shell(*args) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    url = f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "CELERY_BROKER_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "reconcile_vouchers", "--language", "en", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_0_on_the_demo_data_and_1_naming_a_tampered_grant():
    call_command("seed_demo", password="demo-password-1", stdout=open(os.devnull, "w"))
    clean = _shell()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "The voucher money reconciles" in clean.stdout

    grant = Grant.objects.filter(remaining__gt=0).order_by("pk").first()
    with transaction.atomic():
        tamper(
            "UPDATE vouchers_grant SET remaining = remaining - 1 WHERE id = %s",
            [grant.pk],
        )
    tampered = _shell()
    assert tampered.returncode == 1
    assert f"grant {grant.pk} (elder {grant.elder_id}," in tampered.stdout
    assert "1 disagreements found" in tampered.stderr
