"""The voucher ledger kept honest by the database itself.

* Ledger rows refuse UPDATE, DELETE and TRUNCATE. The triggers are plain
  PostgreSQL triggers, not pgtrigger's, so ``pgtrigger.ignore`` does not reach
  them, and they are ``ENABLE ALWAYS``, so ``session_replication_role = replica``
  does not turn them off either. Only the table's owner can drop or disable them,
  which is a schema change, not a session setting.
* A grant's ``remaining`` and ``amount`` must agree with its ledger entries:
  ``remaining`` is the sum of the grant's entries and ``amount`` its grant entry.
  A deferred constraint trigger checks every grant inserted or whose money
  changed, and every grant that received an entry, when the transaction commits
  (the issuance writes a grant and its entry in one statement, a redemption
  updates the grant and then inserts the entry). A bare ``UPDATE … SET
  remaining`` therefore fails at commit, and so does an entry written without
  moving the grant.
"""

from django.db import migrations

import pgtrigger.migrations

FORWARD = """
CREATE FUNCTION vouchers_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'voucher ledger entries are never changed or removed (% refused)',
        TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Correct a movement with a reversal entry.';
END
$$;

CREATE TRIGGER ledger_append_only_rows
    BEFORE UPDATE OR DELETE ON vouchers_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION vouchers_ledger_append_only();
CREATE TRIGGER ledger_append_only_truncate
    BEFORE TRUNCATE ON vouchers_ledgerentry
    FOR EACH STATEMENT EXECUTE FUNCTION vouchers_ledger_append_only();
ALTER TABLE vouchers_ledgerentry ENABLE ALWAYS TRIGGER ledger_append_only_rows;
ALTER TABLE vouchers_ledgerentry ENABLE ALWAYS TRIGGER ledger_append_only_truncate;

CREATE FUNCTION vouchers_grant_agrees_with_ledger() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    g_id bigint;
    g_remaining numeric;
    g_amount numeric;
    total numeric;
    granted numeric;
BEGIN
    IF TG_TABLE_NAME = 'vouchers_ledgerentry' THEN
        g_id := NEW.grant_id;
    ELSE
        g_id := NEW.id;
    END IF;
    -- The row as it is now, not as it was when the event was queued.
    SELECT remaining, amount INTO g_remaining, g_amount
    FROM vouchers_grant WHERE id = g_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum(amount), 0), coalesce(sum(amount) FILTER (WHERE kind = 'grant'), 0)
    INTO total, granted
    FROM vouchers_ledgerentry WHERE vouchers_ledgerentry.grant_id = g_id;
    IF total <> g_remaining OR granted <> g_amount THEN
        RAISE EXCEPTION 'voucher grant % disagrees with its ledger: remaining % and amount %, entries % and granted %',
            g_id, g_remaining, g_amount, total, granted
            USING ERRCODE = 'check_violation',
                  HINT = 'Move voucher money only through vouchers.ledger, entry and balance together.';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER grant_agrees_with_ledger_insert
    AFTER INSERT ON vouchers_grant
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION vouchers_grant_agrees_with_ledger();
CREATE CONSTRAINT TRIGGER grant_agrees_with_ledger_update
    AFTER UPDATE OF remaining, amount ON vouchers_grant
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.remaining IS DISTINCT FROM NEW.remaining
          OR OLD.amount IS DISTINCT FROM NEW.amount)
    EXECUTE FUNCTION vouchers_grant_agrees_with_ledger();
CREATE CONSTRAINT TRIGGER ledger_entry_moves_its_grant
    AFTER INSERT ON vouchers_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION vouchers_grant_agrees_with_ledger();
ALTER TABLE vouchers_grant ENABLE ALWAYS TRIGGER grant_agrees_with_ledger_insert;
ALTER TABLE vouchers_grant ENABLE ALWAYS TRIGGER grant_agrees_with_ledger_update;
ALTER TABLE vouchers_ledgerentry ENABLE ALWAYS TRIGGER ledger_entry_moves_its_grant;
"""

BACKWARD = """
DROP TRIGGER ledger_entry_moves_its_grant ON vouchers_ledgerentry;
DROP TRIGGER grant_agrees_with_ledger_update ON vouchers_grant;
DROP TRIGGER grant_agrees_with_ledger_insert ON vouchers_grant;
DROP FUNCTION vouchers_grant_agrees_with_ledger();
DROP TRIGGER ledger_append_only_truncate ON vouchers_ledgerentry;
DROP TRIGGER ledger_append_only_rows ON vouchers_ledgerentry;
DROP FUNCTION vouchers_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0002_schedule"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="ledgerentry",
            name="ledger_append_only",
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
