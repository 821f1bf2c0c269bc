"""The compensation ledger refuses UPDATE and DELETE in the database itself.

The model refuses them too, but a raw query, a shell session or a future bug would go around
the model; a trigger does not. Reversals are new rows, so nothing legitimate needs either.
TRUNCATE (PostgreSQL) is left to the table's owner: it is how a test database is emptied.
"""

from django.db import migrations

_SQLITE = [
    """
    CREATE TRIGGER service_ledger_no_update BEFORE UPDATE ON service_compensationentry
    BEGIN SELECT RAISE(ABORT, 'the compensation ledger is append-only'); END
    """,
    """
    CREATE TRIGGER service_ledger_no_delete BEFORE DELETE ON service_compensationentry
    BEGIN SELECT RAISE(ABORT, 'the compensation ledger is append-only'); END
    """,
]
_SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS service_ledger_no_update",
    "DROP TRIGGER IF EXISTS service_ledger_no_delete",
]
_POSTGRES = [
    """
    CREATE FUNCTION service_ledger_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the compensation ledger is append-only';
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER service_ledger_no_change BEFORE UPDATE OR DELETE ON service_compensationentry
    FOR EACH ROW EXECUTE FUNCTION service_ledger_append_only()
    """,
]
_POSTGRES_UNDO = [
    "DROP TRIGGER IF EXISTS service_ledger_no_change ON service_compensationentry",
    "DROP FUNCTION IF EXISTS service_ledger_append_only()",
]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = _POSTGRES if schema_editor.connection.vendor == "postgresql" else _SQLITE
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = _POSTGRES_UNDO if schema_editor.connection.vendor == "postgresql" else _SQLITE_UNDO
    for statement in statements:
        schema_editor.execute(statement)


def default_limits(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Rial. Service 500,000 Toman a grant, managers 5 million, admins 50 million; sales and
    # marketing grant nothing. The admin changes them in the approval-limit table.
    ApprovalLimit = apps.get_model("service", "ApprovalLimit")
    for role, amount in (
        ("service", 5_000_000),
        ("manager", 50_000_000),
        ("admin", 500_000_000),
        ("sales", 0),
        ("marketing", 0),
    ):
        ApprovalLimit.objects.get_or_create(role=role, defaults={"max_amount": amount})


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(default_limits, migrations.RunPython.noop),
    ]
