"""The PostgreSQL backend of the test suite: Django's, with a flush that may empty
the voucher ledger.

Transactional tests end with a flush (``TRUNCATE`` of every table). The ledger
refuses ``TRUNCATE`` whatever the session has set (``vouchers`` migration
``0003_ledger_kept_by_the_database``), so the flush turns that one trigger off
around its ``TRUNCATE``, in the same transaction: a schema change that only the
table's owner may make. Production uses Django's backend unchanged, where a
flush of the ledger is refused.
"""

from django.db.backends.postgresql import base

LEDGER = "vouchers_ledgerentry"
TRIGGER = "ledger_append_only_truncate"


class DatabaseOperations(base.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if LEDGER not in tables or not statements:
            return statements
        return [
            f"ALTER TABLE {LEDGER} DISABLE TRIGGER {TRIGGER}",
            *statements,
            f"ALTER TABLE {LEDGER} ENABLE ALWAYS TRIGGER {TRIGGER}",
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
