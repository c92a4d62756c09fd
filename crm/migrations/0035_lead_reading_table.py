"""crm_leadreading: each lead's reading and search key in a narrow table
partitioned by the reading's first kana row, kept by triggers on crm_lead
(crm.models.LeadReading says why)."""

from django.db import migrations, models

# Where each partition starts: the first kana of each row of the 五十音 table
# (readings are folded to katakana, small kana made large: crm/kana.py).
# Empty and Latin readings sort before ア, kanji after ワ.
ROW_STARTS = ["ア", "カ", "サ", "タ", "ナ", "ハ", "マ", "ヤ", "ラ", "ワ"]


def _partitions() -> list[str]:
    bounds = ["MINVALUE", *(f"'{kana}'" for kana in ROW_STARTS), "MAXVALUE"]
    return [
        f"CREATE TABLE crm_leadreading_{index} PARTITION OF crm_leadreading "
        f"FOR VALUES FROM ({start}) TO ({end})"
        for index, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False))
    ]


POSTGRESQL = [
    """CREATE TABLE crm_leadreading (
        lead_id bigint NOT NULL,
        reading_key varchar(200) NOT NULL,
        search_text varchar(600) NOT NULL
    ) PARTITION BY RANGE (reading_key)""",
    *_partitions(),
    # One function for every write to crm_lead. An update that changes the
    # reading may move the row to another partition: delete, then insert.
    """CREATE FUNCTION crm_leadreading_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE crm_leadreading;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM crm_leadreading WHERE lead_id = OLD.id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO crm_leadreading (lead_id, reading_key, search_text)
            VALUES (NEW.id, NEW.reading_key, NEW.search_text);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER crm_leadreading_insert_delete AFTER INSERT OR DELETE ON crm_lead
    FOR EACH ROW EXECUTE FUNCTION crm_leadreading_sync()""",
    # Only when the copied columns change: a stage or owner update (the bulk
    # actions, the handoffs) costs nothing more.
    """CREATE TRIGGER crm_leadreading_update AFTER UPDATE OF id, reading_key, search_text ON crm_lead
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id
        OR OLD.reading_key IS DISTINCT FROM NEW.reading_key
        OR OLD.search_text IS DISTINCT FROM NEW.search_text)
    EXECUTE FUNCTION crm_leadreading_sync()""",
    """CREATE TRIGGER crm_leadreading_truncate AFTER TRUNCATE ON crm_lead
    FOR EACH STATEMENT EXECUTE FUNCTION crm_leadreading_sync()""",
    # The triggers first, then the copy: CREATE TRIGGER holds off writes to
    # crm_lead until this migration commits, so no lead is missed.
    "INSERT INTO crm_leadreading (lead_id, reading_key, search_text) "
    "SELECT id, reading_key, search_text FROM crm_lead",
    # The lead list's search sorted by reading (crm.models.LeadQuerySet.search_by_reading).
    "CREATE INDEX leadreading_search_text_trgm ON crm_leadreading USING gin (search_text gin_trgm_ops)",
    # The triggers find a lead's row by its id. A hash index: a btree on
    # lead_id let PostgreSQL merge-join crm_lead in id order through every
    # partition to count a search's matches (0.95 s for サトウ at 1M leads
    # against 44 ms this way).
    "CREATE INDEX leadreading_lead_idx ON crm_leadreading USING hash (lead_id)",
    "ANALYZE crm_leadreading",
]

POSTGRESQL_REVERSE = [
    "DROP TRIGGER crm_leadreading_truncate ON crm_lead",
    "DROP TRIGGER crm_leadreading_update ON crm_lead",
    "DROP TRIGGER crm_leadreading_insert_delete ON crm_lead",
    "DROP FUNCTION crm_leadreading_sync()",
    "DROP TABLE crm_leadreading",
]

# SQLite (`make run`): the same table unpartitioned, the same triggers.
SQLITE = [
    """CREATE TABLE crm_leadreading (
        lead_id integer NOT NULL PRIMARY KEY,
        reading_key varchar(200) NOT NULL,
        search_text varchar(600) NOT NULL
    )""",
    """CREATE TRIGGER crm_leadreading_insert AFTER INSERT ON crm_lead BEGIN
        INSERT OR REPLACE INTO crm_leadreading (lead_id, reading_key, search_text)
        VALUES (NEW.id, NEW.reading_key, NEW.search_text);
    END""",
    """CREATE TRIGGER crm_leadreading_update AFTER UPDATE OF id, reading_key, search_text ON crm_lead BEGIN
        DELETE FROM crm_leadreading WHERE lead_id = OLD.id;
        INSERT OR REPLACE INTO crm_leadreading (lead_id, reading_key, search_text)
        VALUES (NEW.id, NEW.reading_key, NEW.search_text);
    END""",
    """CREATE TRIGGER crm_leadreading_delete AFTER DELETE ON crm_lead BEGIN
        DELETE FROM crm_leadreading WHERE lead_id = OLD.id;
    END""",
    "INSERT INTO crm_leadreading (lead_id, reading_key, search_text) "
    "SELECT id, reading_key, search_text FROM crm_lead",
]

SQLITE_REVERSE = [
    "DROP TRIGGER crm_leadreading_delete",
    "DROP TRIGGER crm_leadreading_update",
    "DROP TRIGGER crm_leadreading_insert",
    "DROP TABLE crm_leadreading",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements[schema_editor.connection.vendor]:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0034_company_readings_without_legal_form"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
        migrations.CreateModel(
            name="LeadReading",
            fields=[
                (
                    "lead",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="reading",
                        serialize=False,
                        to="crm.lead",
                    ),
                ),
                ("reading_key", models.CharField(max_length=200)),
                ("search_text", models.CharField(max_length=600)),
            ],
            options={"db_table": "crm_leadreading", "managed": False},
        ),
    ]
