"""Re-encryption of the resident ID numbers under the first key (key rotation).

PRODUCT.md, "Personal data"; INTERFACES.md: ``manage.py rotate_field_key``
re-encrypts with the first key of ``FIELD_ENCRYPTION_KEY``, safe to interrupt
and repeat. A batch is one transaction: its rows are locked, read, decrypted,
sealed again (ciphertext and blind index under the new key) and written back
with one ``UPDATE … FROM (VALUES …)``. Only rows under another key are read, so
an interrupted rotation resumes where it stopped and a finished one does nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from psycopg2.extras import execute_values

from carecenter import encryption
from elders import id_numbers
from elders.models import ElderIdNumber

TABLE = ElderIdNumber._meta.db_table
BATCH = 2000


@dataclass
class KeyStatus:
    by_key: dict[bytes, int]  # key id -> rows
    current: bytes
    configured: set[bytes]

    @property
    def to_rotate(self) -> int:
        return sum(n for key, n in self.by_key.items() if key != self.current)

    @property
    def unreadable(self) -> int:
        """Rows under a key no longer configured: lost until it is put back."""
        return sum(n for key, n in self.by_key.items() if key not in self.configured)


def key_status() -> KeyStatus:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT substring(encrypted FROM 2 FOR {encryption.KEY_ID_BYTES}), "
            f"count(*) FROM {TABLE} GROUP BY 1"
        )
        by_key = Counter({bytes(key): n for key, n in cursor.fetchall()})
    return KeyStatus(
        by_key=dict(by_key),
        current=encryption.current_key_id(),
        configured={k.key_id for k in encryption.field_keys()},
    )


def rotate_batch(*, after: int, batch: int = BATCH) -> tuple[int, int | None]:
    """Re-encrypt up to ``batch`` rows past elder ``after`` that are under another
    key; returns ``(rows rewritten, last elder id seen or None when done)``."""
    current = encryption.current_key_id()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT elder_id, encrypted FROM {TABLE} "
            f"WHERE elder_id > %s "
            f"AND substring(encrypted FROM 2 FOR {encryption.KEY_ID_BYTES}) <> %s "
            f"ORDER BY elder_id LIMIT %s FOR UPDATE",
            [after, current, batch],
        )
        rows = cursor.fetchall()
        if not rows:
            return 0, None
        values = []
        for elder_id, token in rows:
            sealed = id_numbers.seal(id_numbers.unseal(token))
            values.append((elder_id, sealed.encrypted, sealed.index))
        execute_values(
            cursor,
            f"UPDATE {TABLE} AS t SET encrypted = v.encrypted, index = v.index "
            f"FROM (VALUES %s) AS v (elder_id, encrypted, index) "
            f"WHERE t.elder_id = v.elder_id",
            values,
            template="(%s, %s::bytea, %s::bytea)",
            page_size=batch,
        )
    return len(rows), rows[-1][0]


def rotate(*, batch: int = BATCH, progress=None) -> int:
    """Every row under the first key; returns how many were rewritten."""
    total, after = 0, 0
    while True:
        done, last = rotate_batch(after=after, batch=batch)
        if last is None:
            return total
        total += done
        after = last
        if progress is not None:
            progress(total)
