"""Numbered schema migrations, recorded in the database; forward only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import duckdb

from store import postgres
from store.errors import DatabaseTooNew, StoreError

# Each entry: (version, name, statements). Never edit a released migration: add the next number.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "reports, cases, quarantine, training, mappings, audit trail",
        [
            "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
            "CREATE SEQUENCE processor_ids START 1",
            """CREATE TABLE processors (
                processor_id INTEGER PRIMARY KEY DEFAULT nextval('processor_ids'),
                name VARCHAR NOT NULL UNIQUE,
                profile VARCHAR NOT NULL DEFAULT 'default',
                date_order VARCHAR NOT NULL DEFAULT 'dmy',
                created_at TIMESTAMP NOT NULL)""",
            "CREATE SEQUENCE submission_ids START 1",
            """CREATE TABLE submissions (
                submission_id INTEGER PRIMARY KEY DEFAULT nextval('submission_ids'),
                processor_id INTEGER NOT NULL REFERENCES processors (processor_id),
                period VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                file_name VARCHAR NOT NULL,
                sha256 VARCHAR NOT NULL,
                format VARCHAR NOT NULL,
                encoding VARCHAR,
                delimiter VARCHAR,
                sheet VARCHAR,
                header_row INTEGER,
                submitted_on DATE NOT NULL,
                submitted_on_source VARCHAR NOT NULL,
                declared_total INTEGER,
                declared_total_source VARCHAR,
                ingested_at TIMESTAMP NOT NULL,
                ingested_by VARCHAR NOT NULL,
                rows_read INTEGER NOT NULL,
                rows_loaded INTEGER NOT NULL,
                rows_quarantined INTEGER NOT NULL,
                rows_skipped INTEGER NOT NULL,
                counts JSON NOT NULL,
                extras VARCHAR[] NOT NULL,
                notes VARCHAR[] NOT NULL,
                status VARCHAR NOT NULL,
                supersedes INTEGER,
                superseded_by INTEGER,
                changes JSON)""",
            """CREATE TABLE cases (
                submission_id INTEGER NOT NULL,
                source_row INTEGER NOT NULL,
                case_id VARCHAR NOT NULL,
                received_on DATE NOT NULL,
                request_type VARCHAR NOT NULL,
                channel VARCHAR,
                data_subject_ref VARCHAR,
                identity_verified BOOLEAN,
                id_requested_on DATE,
                id_received_on DATE,
                forwarded_on DATE,
                escalated_on DATE,
                escalated_to VARCHAR,
                extension_notified_on DATE,
                extension_reason VARCHAR,
                responded_on DATE,
                outcome VARCHAR,
                refusal_reason VARCHAR,
                complaint_right_notified BOOLEAN,
                suppressed_on DATE,
                agent_id VARCHAR,
                language VARCHAR,
                summary VARCHAR,
                extras JSON)""",
            """CREATE TABLE training (
                submission_id INTEGER NOT NULL,
                source_row INTEGER NOT NULL,
                agent_id VARCHAR NOT NULL,
                trained_on DATE NOT NULL,
                confidentiality_signed_on DATE,
                extras JSON)""",
            """CREATE TABLE quarantine (
                submission_id INTEGER NOT NULL,
                part VARCHAR NOT NULL,
                source_row INTEGER NOT NULL,
                case_id VARCHAR,
                reasons VARCHAR[] NOT NULL,
                messages VARCHAR[] NOT NULL,
                raw JSON NOT NULL)""",
            """CREATE TABLE mappings (
                processor_id INTEGER NOT NULL REFERENCES processors (processor_id),
                header_key VARCHAR NOT NULL,
                header VARCHAR NOT NULL,
                field VARCHAR NOT NULL,
                saved_at TIMESTAMP NOT NULL,
                saved_by VARCHAR NOT NULL,
                PRIMARY KEY (processor_id, header_key))""",
            """CREATE TABLE audit_events (
                seq BIGINT PRIMARY KEY,
                occurred_at TIMESTAMP NOT NULL,
                user_name VARCHAR NOT NULL,
                role VARCHAR NOT NULL,
                action VARCHAR NOT NULL,
                object VARCHAR NOT NULL,
                details JSON NOT NULL,
                prev_hash VARCHAR NOT NULL,
                hash VARCHAR NOT NULL)""",
            # The cases of each processor's current report per period.
            """CREATE VIEW report_cases AS
                SELECT p.name AS processor, s.period, c.*
                FROM cases c
                JOIN submissions s USING (submission_id)
                JOIN processors p USING (processor_id)
                WHERE s.status = 'current' AND s.kind = 'cases'""",
            # The current state of each case: the newest current report that lists it (docs/architecture.md).
            """CREATE VIEW current_cases AS
                SELECT * FROM report_cases
                QUALIFY row_number() OVER (PARTITION BY processor, case_id ORDER BY period DESC) = 1""",
        ],
    ),
    (
        2,
        "check runs, their results per check and their exceptions (append-only)",
        [
            "CREATE SEQUENCE check_run_ids START 1",
            # One run: who, when, with which filters; the profile and calendar per processor are in `profiles`.
            """CREATE TABLE check_runs (
                run_id INTEGER PRIMARY KEY DEFAULT nextval('check_run_ids'),
                started_at TIMESTAMP NOT NULL,
                finished_at TIMESTAMP NOT NULL,
                user_name VARCHAR NOT NULL,
                processor VARCHAR,
                period VARCHAR,
                as_of DATE,
                profiles JSON NOT NULL,
                checks_run INTEGER NOT NULL,
                exceptions INTEGER NOT NULL,
                errors INTEGER NOT NULL)""",
            # Per run, check, processor and period: what was tested and what offended (error: the check failed).
            """CREATE TABLE check_results (
                run_id INTEGER NOT NULL,
                check_id VARCHAR NOT NULL,
                processor VARCHAR NOT NULL,
                period VARCHAR NOT NULL,
                as_of DATE NOT NULL,
                profile VARCHAR NOT NULL,
                profile_sha256 VARCHAR NOT NULL,
                severity VARCHAR NOT NULL,
                clause VARCHAR NOT NULL,
                cases_tested INTEGER NOT NULL,
                cases_offending INTEGER NOT NULL,
                error VARCHAR)""",
            # One row per offending case (case_id NULL for report-level checks), with the values that offend.
            """CREATE TABLE exceptions (
                run_id INTEGER NOT NULL,
                check_id VARCHAR NOT NULL,
                severity VARCHAR NOT NULL,
                processor VARCHAR NOT NULL,
                period VARCHAR NOT NULL,
                case_id VARCHAR,
                clause VARCHAR NOT NULL,
                details JSON NOT NULL)""",
            # The newest result of each check for each processor and period, and its exceptions.
            """CREATE VIEW latest_check_results AS
                SELECT * FROM check_results
                QUALIFY row_number() OVER (PARTITION BY processor, period, check_id ORDER BY run_id DESC) = 1""",
            """CREATE VIEW latest_exceptions AS
                SELECT e.* FROM exceptions e
                JOIN latest_check_results r USING (run_id, check_id, processor, period)""",
        ],
    ),
    (
        3,
        "spot checks: samples, items, reviews, seed commitments",
        [
            # A seed's SHA-256 committed before the report arrives (docs/sampling.md); the seed itself is not stored.
            """CREATE TABLE seed_commitments (
                commitment VARCHAR PRIMARY KEY,
                committed_at TIMESTAMP NOT NULL,
                committed_by VARCHAR NOT NULL)""",
            # One row per draw: the frozen population (report, filters, size, fingerprint), seed, design and plan.
            """CREATE TABLE samples (
                sample_id VARCHAR PRIMARY KEY,
                processor VARCHAR NOT NULL,
                period VARCHAR NOT NULL,
                submission_id INTEGER NOT NULL,
                filters JSON NOT NULL,
                population_size INTEGER NOT NULL,
                fingerprint VARCHAR NOT NULL,
                seed VARCHAR NOT NULL,
                method VARCHAR NOT NULL,
                stratify_by VARCHAR,
                allocation VARCHAR,
                per_stratum INTEGER,
                requested_n INTEGER,
                plan JSON NOT NULL,
                key_items VARCHAR,
                key_item_runs INTEGER[],
                commitment VARCHAR,
                drawn_at TIMESTAMP NOT NULL,
                drawn_by VARCHAR NOT NULL,
                rubric_version VARCHAR NOT NULL,
                notes VARCHAR[] NOT NULL)""",
            # Every case that joined a sample, with its rank; round 1 is the draw, later rounds enlarge or replace.
            """CREATE TABLE sample_items (
                sample_id VARCHAR NOT NULL,
                case_id VARCHAR NOT NULL,
                part VARCHAR NOT NULL,
                rank VARCHAR NOT NULL,
                position INTEGER NOT NULL,
                stratum VARCHAR,
                round INTEGER NOT NULL,
                replaces VARCHAR,
                added_at TIMESTAMP NOT NULL,
                added_by VARCHAR NOT NULL,
                PRIMARY KEY (sample_id, case_id))""",
            # A case taken out of a sample, always with a reason; the next case in rank order replaced it.
            """CREATE TABLE sample_replacements (
                sample_id VARCHAR NOT NULL,
                case_id VARCHAR NOT NULL,
                replacement VARCHAR NOT NULL,
                reason VARCHAR NOT NULL,
                replaced_at TIMESTAMP NOT NULL,
                replaced_by VARCHAR NOT NULL,
                PRIMARY KEY (sample_id, case_id))""",
            """CREATE VIEW active_sample_items AS
                SELECT i.* FROM sample_items i
                WHERE NOT EXISTS (SELECT 1 FROM sample_replacements r
                                  WHERE r.sample_id = i.sample_id AND r.case_id = i.case_id)""",
            # Append-only answers per sample, case and rubric item; the newest one is the answer.
            "CREATE SEQUENCE review_ids START 1",
            """CREATE TABLE reviews (
                sample_id VARCHAR NOT NULL,
                case_id VARCHAR NOT NULL,
                item_id VARCHAR NOT NULL,
                answer VARCHAR NOT NULL,
                comment VARCHAR,
                reviewer VARCHAR NOT NULL,
                reviewed_at TIMESTAMP NOT NULL,
                rubric_version VARCHAR NOT NULL,
                review_id BIGINT NOT NULL DEFAULT nextval('review_ids'))""",
            """CREATE VIEW current_reviews AS
                SELECT * FROM reviews
                QUALIFY row_number() OVER (PARTITION BY sample_id, case_id, item_id ORDER BY review_id DESC) = 1""",
            # Evaluations signed off by an auditor, as they read then (append-only).
            """CREATE TABLE sample_evaluations (
                sample_id VARCHAR NOT NULL,
                evaluated_at TIMESTAMP NOT NULL,
                evaluated_by VARCHAR NOT NULL,
                rubric_version VARCHAR NOT NULL,
                result JSON NOT NULL)""",
        ],
    ),
    (
        4,
        "findings and their history",
        [
            # One row per finding (docs/findings.md); status follows findings/lifecycle.py, evidence holds the run ids,
            # report-level exception details or sample ids; status_reason is the reason of the last move.
            """CREATE TABLE findings (
                finding_id VARCHAR PRIMARY KEY,
                processor VARCHAR NOT NULL,
                period VARCHAR NOT NULL,
                clause VARCHAR NOT NULL,
                title VARCHAR NOT NULL,
                description VARCHAR NOT NULL,
                severity VARCHAR NOT NULL,
                source VARCHAR NOT NULL,
                evidence JSON NOT NULL,
                status VARCHAR NOT NULL,
                status_reason VARCHAR,
                owner VARCHAR,
                due_on DATE,
                response VARCHAR,
                response_text VARCHAR,
                created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL,
                updated_at TIMESTAMP NOT NULL)""",
            # The cases a finding is about, each with its evidence (the exception's values or the review entry).
            """CREATE TABLE finding_cases (
                finding_id VARCHAR NOT NULL,
                case_id VARCHAR NOT NULL,
                added_at TIMESTAMP NOT NULL,
                evidence JSON NOT NULL,
                PRIMARY KEY (finding_id, case_id))""",
            # Append-only history of each finding; every entry also goes to audit_events.
            """CREATE TABLE finding_events (
                finding_id VARCHAR NOT NULL,
                seq INTEGER NOT NULL,
                occurred_at TIMESTAMP NOT NULL,
                user_name VARCHAR NOT NULL,
                role VARCHAR NOT NULL,
                action VARCHAR NOT NULL,
                from_status VARCHAR,
                to_status VARCHAR,
                details JSON NOT NULL,
                PRIMARY KEY (finding_id, seq))""",
        ],
    ),
    (
        5,
        "spot checks over several periods",
        [
            # docs/sampling.md "period(s)": a sample's population may be the union of several periods' current
            # reports; `period` and `submission_id` keep the last one of each, for readers of one period.
            "ALTER TABLE samples ADD COLUMN periods VARCHAR[]",
            "ALTER TABLE samples ADD COLUMN submission_ids INTEGER[]",
            "UPDATE samples SET periods = [period], submission_ids = [submission_id]",
        ],
    ),
    (
        6,
        "severities critical, major, minor, info: the latest-run views read older runs' words in today's",
        [
            # Stored runs are evidence and stay as they were written; their readers map the words of the time
            # (breach → major, warning → minor; vocab/severity.py OLD_WORDS) in the views every page reads.
            """CREATE OR REPLACE VIEW latest_check_results AS
                SELECT * REPLACE (CASE severity WHEN 'breach' THEN 'major' WHEN 'warning' THEN 'minor'
                                  ELSE severity END AS severity)
                FROM check_results
                QUALIFY row_number() OVER (PARTITION BY processor, period, check_id ORDER BY run_id DESC) = 1""",
            """CREATE OR REPLACE VIEW latest_exceptions AS
                SELECT e.* REPLACE (CASE e.severity WHEN 'breach' THEN 'major' WHEN 'warning' THEN 'minor'
                                    ELSE e.severity END AS severity)
                FROM exceptions e
                JOIN latest_check_results r USING (run_id, check_id, processor, period)""",
        ],
    ),
    (
        7,
        "cases: the day a ticket was closed (apart from the answer), and the judicial remedy notice of a refusal",
        [
            "ALTER TABLE cases ADD COLUMN closed_on DATE",
            # GDPR Art. 12(4): a refusal tells the person of the right to complain *and* to a judicial remedy.
            "ALTER TABLE cases ADD COLUMN judicial_remedy_notified BOOLEAN",
            # The views list the cases' columns: made again so that they include the new one.
            """CREATE OR REPLACE VIEW report_cases AS
                SELECT p.name AS processor, s.period, c.*
                FROM cases c
                JOIN submissions s USING (submission_id)
                JOIN processors p USING (processor_id)
                WHERE s.status = 'current' AND s.kind = 'cases'""",
            """CREATE OR REPLACE VIEW current_cases AS
                SELECT * FROM report_cases
                QUALIFY row_number() OVER (PARTITION BY processor, case_id ORDER BY period DESC) = 1""",
        ],
    ),
    (
        8,
        "fair timeliness: the processor's declared sending date beside the day received; inbox files first seen",
        [
            # Issue 12 §2: a submission counts from the day the controller received it; the date the processor
            # declares (its summary sheet) is kept beside it, never used instead of it.
            "ALTER TABLE submissions ADD COLUMN declared_submitted_on DATE",
            # Before this version the summary sheet's date was used as the submission date: it was a declaration.
            "UPDATE submissions SET declared_submitted_on = submitted_on WHERE submitted_on_source = 'summary sheet'",
            # A file in the inbox counts from the day it was first seen there (by content: a renamed copy is the same
            # file, a changed file is a new one).
            """CREATE TABLE inbox_files (
                sha256 VARCHAR PRIMARY KEY,
                file_name VARCHAR NOT NULL,
                processor VARCHAR,
                first_seen_at TIMESTAMP NOT NULL)""",
        ],
    ),
    (
        9,
        "spot checks: top-ups per rubric item, deviation causes, second reviews, seed reuse, refusal outcomes",
        [
            # docs/sampling.md §2: cases drawn for one rubric item's sub-population; they count only for that item.
            # A case joins sample_items once (part 'top_up'); here once per item it was drawn for.
            """CREATE TABLE sample_top_ups (
                sample_id VARCHAR NOT NULL,
                item_id VARCHAR NOT NULL,
                case_id VARCHAR NOT NULL,
                rank VARCHAR NOT NULL,
                position INTEGER NOT NULL,
                round INTEGER NOT NULL,
                drawn_at TIMESTAMP NOT NULL,
                drawn_by VARCHAR NOT NULL,
                PRIMARY KEY (sample_id, item_id, case_id))""",
            # ISA 530 ¶12: the nature and cause of each deviation (a closed list, vocab/rubric.py).
            "ALTER TABLE reviews ADD COLUMN cause VARCHAR",
            """CREATE OR REPLACE VIEW current_reviews AS
                SELECT * FROM reviews
                QUALIFY row_number() OVER (PARTITION BY sample_id, case_id, item_id ORDER BY review_id DESC) = 1""",
            # A second, independent review of some cases by another auditor (agreement, Cohen's kappa).
            "CREATE SEQUENCE second_review_ids START 1",
            """CREATE TABLE second_reviews (
                sample_id VARCHAR NOT NULL,
                case_id VARCHAR NOT NULL,
                item_id VARCHAR NOT NULL,
                answer VARCHAR NOT NULL,
                comment VARCHAR,
                reviewer VARCHAR NOT NULL,
                reviewed_at TIMESTAMP NOT NULL,
                review_id BIGINT NOT NULL DEFAULT nextval('second_review_ids'))""",
            # Why a seed already used for another population was used again (docs/sampling.md §2).
            "ALTER TABLE samples ADD COLUMN seed_reuse_reason VARCHAR",
            # The outcomes `--key-items refusals` took at the draw; NULL: refused and partially_fulfilled (before
            # identity_not_confirmed counted as a refusal), so older samples verify as they were drawn.
            "ALTER TABLE samples ADD COLUMN key_item_outcomes VARCHAR[]",
        ],
    ),
    (
        10,
        "the processor register: who the processor is and which contract profile applies",
        [
            # Issue 12 §5: processors are onboarded, not guessed. The register holds who the processor is; the due
            # day, calendars and service levels stay in its contract profile (processors.profile).
            "ALTER TABLE processors ADD COLUMN country VARCHAR",
            "ALTER TABLE processors ADD COLUMN language VARCHAR",
            "ALTER TABLE processors ADD COLUMN contacts VARCHAR[]",
            "ALTER TABLE processors ADD COLUMN registered_by VARCHAR",
            "ALTER TABLE processors ADD COLUMN updated_at TIMESTAMP",
        ],
    ),
    (
        11,
        "letters: each letter sent to a processor, its bytes and SHA-256 (issue 15 item 5)",
        [
            # Issue 15: each sent letter is stored whole, so the copy in a dispute can be matched to its hash in the
            # `letter.sent` audit event; kind is `findings` or an escalation step (findings/escalation.py).
            """CREATE TABLE letters (
                letter_id VARCHAR PRIMARY KEY,
                processor VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                finding_ids VARCHAR[] NOT NULL,
                language VARCHAR NOT NULL,
                format VARCHAR NOT NULL,
                sha256 VARCHAR NOT NULL,
                bytes BLOB NOT NULL,
                created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL
            )""",
        ],
    ),
    (
        12,
        "evidence on request: stored files by SHA-256, requests, their cases and the files sent (issue 15 item 3)",
        [
            # Issue 15: files live in the database so every dashboard process sees them and they fall under the
            # same backup, retention and erasure as the rest (store/blobs.py). Stored once per content.
            """CREATE TABLE blobs (
                sha256 VARCHAR PRIMARY KEY,
                bytes BLOB NOT NULL,
                size BIGINT NOT NULL,
                media_type VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL
            )""",
            # GDPR Art. 28(3)(h), SCC 7.6(b): what the auditor asked the processor for, for which cases, by when.
            """CREATE TABLE evidence_requests (
                request_id VARCHAR PRIMARY KEY,
                sample_id VARCHAR NOT NULL,
                processor VARCHAR NOT NULL,
                period VARCHAR NOT NULL,
                what VARCHAR NOT NULL,
                due_on DATE NOT NULL,
                requested_at TIMESTAMP NOT NULL,
                requested_by VARCHAR NOT NULL,
                status VARCHAR NOT NULL
            )""",
            """CREATE TABLE evidence_request_cases (
                request_id VARCHAR NOT NULL,
                case_id VARCHAR NOT NULL,
                PRIMARY KEY (request_id, case_id)
            )""",
            # Appended, never updated: each file sent for a case, pointing at its bytes in `blobs`.
            """CREATE TABLE evidence_files (
                request_id VARCHAR NOT NULL,
                case_id VARCHAR NOT NULL,
                sha256 VARCHAR NOT NULL,
                filename VARCHAR NOT NULL,
                media_type VARCHAR NOT NULL,
                size BIGINT NOT NULL,
                added_at TIMESTAMP NOT NULL,
                added_by VARCHAR NOT NULL
            )""",
        ],
    ),
    (
        13,
        "responses to findings by the processor, with attachments and the controller's decision (issue 15 item 4)",
        [
            # GDPR Art. 28(3)(h): the processor answers a notified finding on the record itself; the controller
            # accepts or rejects each answer (findings/portal.py). Kept whole, never updated but for the decision.
            "CREATE SEQUENCE finding_response_ids START 1",
            """CREATE TABLE finding_responses (
                response_id INTEGER PRIMARY KEY DEFAULT nextval('finding_response_ids'),
                finding_id VARCHAR NOT NULL,
                processor VARCHAR NOT NULL,
                response VARCHAR NOT NULL CHECK (response IN ('accepted', 'partially_accepted', 'disputed')),
                explanation VARCHAR NOT NULL,
                plan VARCHAR,
                planned_on DATE,
                attachments VARCHAR[] NOT NULL,
                submitted_at TIMESTAMP NOT NULL,
                submitted_by VARCHAR NOT NULL,
                decision VARCHAR CHECK (decision IS NULL OR decision IN ('accepted', 'rejected')),
                decided_at TIMESTAMP,
                decided_by VARCHAR,
                decision_comment VARCHAR,
                -- the names the files were sent under, in the order of `attachments` (blobs keep bytes, not names)
                attachment_names VARCHAR[] NOT NULL
            )""",
        ],
    ),
    (
        14,
        "a processor's uploads that would remove cases, held for the compliance officer (issue 15 item 2)",
        [
            # Issue 15, "Names and decisions": a processor's resubmission that would remove cases waits for the
            # compliance officer. The file itself is kept in `blobs` (by its sha256) until it is confirmed or rejected;
            # uploaded_at is its arrival (report.late counts from it, also when confirmed later).
            "CREATE SEQUENCE pending_submission_ids START 1",
            """CREATE TABLE pending_submissions (
                pending_id INTEGER PRIMARY KEY DEFAULT nextval('pending_submission_ids'),
                processor VARCHAR NOT NULL,
                period VARCHAR NOT NULL,
                file_name VARCHAR NOT NULL,
                sha256 VARCHAR NOT NULL,
                uploaded_at TIMESTAMP NOT NULL,
                uploaded_by VARCHAR NOT NULL,
                diff_summary JSON NOT NULL,
                status VARCHAR NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
                decided_at TIMESTAMP,
                decided_by VARCHAR,
                reason VARCHAR,
                -- the submission a confirmed upload became
                submission_id INTEGER
            )""",
        ],
    ),
    (
        15,
        "versioned pseudonymisation keys, the pseudonyms each made, and links across a rotation (issue 17 item 3)",
        [
            # GDPR Art. 25 and 32: the key is rotated and a retired key destroyed (crypto-shredding). The key files
            # stay outside the database (store/keyring.py); these rows only name them by id (a fingerprint).
            """CREATE TABLE pseudonym_keys (
                key_id VARCHAR PRIMARY KEY,
                created_at TIMESTAMP NOT NULL,
                status VARCHAR NOT NULL CHECK (status IN ('current', 'previous', 'retired')),
                -- while a rotation's overlap window runs, ingest links this key's pseudonyms to the new key's
                link_until DATE,
                retired_at TIMESTAMP)""",
            # Which key made each pseudonym (a customer reference, or an agent name under agent_ids = "names").
            # No primary key: its index made a million-case ingest 6 s slower; ingest adds only pseudonyms not in it.
            """CREATE TABLE pseudonyms (
                pseudonym VARCHAR NOT NULL,
                key_id VARCHAR NOT NULL,
                kind VARCHAR NOT NULL CHECK (kind IN ('subject', 'agent')))""",
            # During an overlap window, a reference's pseudonym under the previous key → under the current one, so
            # repeat requests match across the rotation; `key retire` deletes these rows with the old key.
            """CREATE TABLE pseudonym_links (
                old_pseudonym VARCHAR NOT NULL,
                old_key_id VARCHAR NOT NULL,
                new_pseudonym VARCHAR NOT NULL,
                new_key_id VARCHAR NOT NULL,
                PRIMARY KEY (old_pseudonym, new_pseudonym))""",
            # The key of an existing database is the one its fingerprint names (ingest/pseudonym.py check_key).
            """INSERT INTO pseudonym_keys SELECT value, now()::TIMESTAMP, 'current', NULL, NULL
                FROM meta WHERE key = 'pseudonym_key'""",
            """INSERT INTO pseudonyms SELECT DISTINCT c.data_subject_ref, m.value, 'subject'
                FROM cases c, meta m WHERE m.key = 'pseudonym_key' AND c.data_subject_ref IS NOT NULL""",
        ],
    ),
    (
        16,
        "legal holds: what a hold on a processor, a month or a finding keeps from any purge (issue 17 item 2)",
        [
            # GDPR Art. 5(1)(e) limits storage, Art. 17(3)(e) keeps what legal claims need: a hold keeps what it covers
            # from the retention purge and from erasure until it is lifted (store/holds.py). Lifted, never deleted.
            "CREATE SEQUENCE legal_hold_ids START 1",
            """CREATE TABLE legal_holds (
                hold_id INTEGER PRIMARY KEY DEFAULT nextval('legal_hold_ids'),
                processor VARCHAR NOT NULL,
                period VARCHAR,
                finding_id VARCHAR,
                reason VARCHAR NOT NULL,
                added_at TIMESTAMP NOT NULL,
                added_by VARCHAR NOT NULL,
                lifted_at TIMESTAMP,
                lifted_by VARCHAR,
                lift_reason VARCHAR
            )""",
        ],
    ),
    (
        18,
        "processor contacts a register edit can change",
        [
            # DuckDB rewrites a row whose list column changes as a delete and an insert, which the foreign keys of
            # a processor's reports refuse: a processor with reports could not get new contacts. The contacts are
            # kept as JSON text from now on (registry.processors reads this column first).
            "ALTER TABLE processors ADD COLUMN contacts_text VARCHAR",
        ],
    ),
    (
        19,
        "a purged month is marked on its submissions",
        [
            # Issue 17: retention removes a month's case rows but keeps the submission (what arrived, when, its
            # hash). The checks must not test an emptied report again (a declared total against no rows, no
            # roster): the purge sets purged_at and the check scope leaves such reports out.
            "ALTER TABLE submissions ADD COLUMN purged_at TIMESTAMP",
        ],
    ),
]

# Numbers may land out of order while several are written at once: the highest counts, and they apply in order.
LATEST = max(version for version, _, _ in MIGRATIONS)


# --- what the schema says, read from the migrations (one place, for compaction, moving a store and digests) ---------
_TABLE = re.compile(r"\s*(?:CREATE TABLE|ALTER TABLE) (\w+)")


def _table_statements() -> list[tuple[str, str]]:
    """(table, statement) for every CREATE TABLE and ALTER TABLE, in migration order."""
    return [(table.group(1), statement) for _, _, statements in sorted(MIGRATIONS, key=lambda m: m[0])
            for statement in statements if (table := _TABLE.match(statement)) is not None]


def load_order() -> list[str]:
    """Every table of the schema, a referenced table before the tables that refer to it (FOREIGN KEY order)."""
    refers: dict[str, set[str]] = {}
    for table, statement in _table_statements():
        refers.setdefault(table, set()).update(set(re.findall(r"REFERENCES (\w+)", statement)) - {table})
    order: list[str] = []
    while refers:
        ready = sorted(t for t, needs in refers.items() if needs <= set(order))
        if not ready:
            raise ValueError(f"a cycle of foreign keys between {sorted(refers)}")
        order += ready
        for table in ready:
            refers.pop(table)
    return order


def sequences() -> dict[str, tuple[str, str]]:
    """Each sequence of the schema and the (table, column) whose ids it gives."""
    return {sequence: (table, column) for table, statement in _table_statements()
            for column, sequence in re.findall(r"^\s*(\w+) \w+[^,\n]*DEFAULT nextval\('(\w+)'\)", statement,
                                               re.MULTILINE)}


def json_columns() -> frozenset[tuple[str, str]]:
    """Every (table, column) the schema declares JSON."""
    return frozenset((table, column) for table, statement in _table_statements()
                     for column in re.findall(r"^\s*(?:ALTER TABLE \w+ ADD COLUMN )?(\w+) JSON\b", statement,
                                              re.MULTILINE))


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the highest migration applied, 0 for an empty database."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations' "
        "AND table_catalog = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0][0]


# --- the PostgreSQL form (issue 16) -------------------------------------------------------------------------------
# The same migrations, with the same numbers, make the schema on a PostgreSQL store. Each statement has one of three
# forms there, decided by postgres_form():
# - "server": tables, sequences and added columns are made by PostgreSQL itself (postgres_execute), with DuckDB's
#   types spelled as PostgreSQL's: JSON is kept as text (DuckDB's JSON functions read text; PostgreSQL's json type
#   would give DuckDB a type it cannot write), BLOB is bytea. Defaults, keys, checks and sequences are PostgreSQL's.
# - "view": views are DuckDB SQL (QUALIFY, list literals), so they live in each process's in-memory catalog over the
#   attached tables (store.postgres), made from view_statements() when the process first connects, never on the
#   server.
# - "data": a statement that moves data (UPDATE, INSERT ... SELECT) runs through DuckDB on the attached tables.
SERVER_TYPES = ((r"\bJSON\b", "TEXT"), (r"\bBLOB\b", "BYTEA"), (r"\bDOUBLE\b(?! PRECISION)", "DOUBLE PRECISION"))
_VIEW = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)\s+AS\b", re.IGNORECASE)
_SERVER = re.compile(r"^\s*(CREATE\s+(TABLE|SEQUENCE|UNIQUE\s+INDEX|INDEX)|ALTER\s+TABLE)\b", re.IGNORECASE)
_DATA = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
SCHEMA_MIGRATIONS = ("CREATE TABLE IF NOT EXISTS schema_migrations "
                     "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")


# DuckDB writes into a PostgreSQL table by COPY with every column, so a column the INSERT left out arrives as NULL
# and PostgreSQL's own default never applies. Each table with defaults gets a trigger that applies them to a NULL
# (made from the server's catalog after every upgrade, so an added default is covered too). A deliberate NULL in a
# column with a default becomes the default, which no statement of this tool relies on.
FILL_DEFAULTS = """
DO $fill$
DECLARE t record; body text;
BEGIN
  FOR t IN SELECT c.relname AS name,
                  string_agg(format('IF NEW.%1$I IS NULL THEN NEW.%1$I := %2$s; END IF;', a.attname,
                                    pg_get_expr(d.adbin, d.adrelid)), ' ' ORDER BY a.attnum) AS fills
           FROM pg_attrdef d
           JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
           JOIN pg_class c ON c.oid = d.adrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind = 'r'
           GROUP BY c.relname LOOP
    body := format('CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql '
                   'AS $f$ BEGIN %s RETURN NEW; END $f$', 'fill_defaults_' || t.name, t.fills);
    EXECUTE body;
    EXECUTE format('DROP TRIGGER IF EXISTS fill_defaults ON %I', t.name);
    EXECUTE format('CREATE TRIGGER fill_defaults BEFORE INSERT ON %I FOR EACH ROW EXECUTE FUNCTION %I()',
                   t.name, 'fill_defaults_' || t.name);
  END LOOP;
END
$fill$"""


# How long a process waits for another one's upgrade of a PostgreSQL store (a large data migration takes a while).
MIGRATION_WAIT_SECONDS = 3600


class NoPostgresForm(ValueError):
    """A migration statement none of the three PostgreSQL forms covers: give it one before it lands."""


def postgres_form(statement: str) -> tuple[str, str]:
    """The PostgreSQL form of one migration statement: ("server" | "view" | "data", SQL)."""
    if (view := _VIEW.match(statement)) is not None:
        body = statement[view.end():]
        return "view", f"CREATE OR REPLACE VIEW memory.main.{view.group(1)} AS{body}"
    if _SERVER.match(statement):
        sql = statement
        for pattern, replacement in SERVER_TYPES:
            sql = re.sub(pattern, replacement, sql)
        return "server", sql
    if _DATA.match(statement):
        return "data", statement
    raise NoPostgresForm(f"no PostgreSQL form for: {' '.join(statement.split())[:120]}")


def view_statements() -> list[str]:
    """Every view of the schema as DuckDB SQL in the in-memory catalog, in migration order (a later CREATE OR
    REPLACE wins), for a process's instance on a PostgreSQL store."""
    views = []
    for _, _, statements in sorted(MIGRATIONS, key=lambda m: m[0]):
        for statement in statements:
            kind, sql = postgres_form(statement)
            if kind == "view":
                views.append(sql)
    return views


def migrate(con: duckdb.DuckDBPyConnection, label: str = "database") -> int:
    """Apply pending migrations, each in its own transaction; refuse a database newer than this code."""
    if postgres.postgres(con):
        return _migrate_postgres(con, label)  # type: ignore[arg-type]
    current = schema_version(con)
    if current > LATEST:
        raise DatabaseTooNew(label, current, LATEST)
    if current == 0:
        con.execute(SCHEMA_MIGRATIONS)
    # By the set applied, not the highest: a number that landed late (3 after 4) still applies to a database at 4.
    applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, name, statements in sorted(MIGRATIONS, key=lambda m: m[0]):
        if version in applied:
            continue
        con.begin()
        try:
            for statement in statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [version, name, datetime.now(UTC).replace(tzinfo=None)],
            )
        except BaseException:
            con.rollback()
            raise
        con.commit()
    return LATEST


def _migrate_postgres(con: postgres.PostgresConnection, label: str) -> int:
    """migrate() on a PostgreSQL store: one process at a time (an advisory lock held for the whole upgrade), every
    pending migration in one transaction (PostgreSQL's DDL is transactional: an upgrade is whole or not at all),
    then this process's views."""
    con.begin()
    try:
        # Waits as long as another process's upgrade takes: the schema must be whole before anything reads it.
        if not postgres.lock(con, postgres.MIGRATION_LOCK, wait=MIGRATION_WAIT_SECONDS):
            raise StoreError(
                f"The database {label} is being upgraded by another program for longer than "
                f"{MIGRATION_WAIT_SECONDS} s; nothing was changed. Try again when it has finished.")
        postgres.execute(con, SCHEMA_MIGRATIONS)
        current = schema_version(con)
        if current > LATEST:
            raise DatabaseTooNew(label, current, LATEST)
        applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
        for version, name, statements in sorted(MIGRATIONS, key=lambda m: m[0]):
            if version in applied:
                continue
            for statement in statements:
                kind, sql = postgres_form(statement)
                if kind == "server":
                    postgres.execute(con, sql)
                elif kind == "data":
                    con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [version, name, datetime.now(UTC).replace(tzinfo=None)])
        if len(applied) < len(MIGRATIONS):
            postgres.execute(con, FILL_DEFAULTS)
    except BaseException:
        con.rollback()
        raise
    con.commit()
    for sql in view_statements():
        con.execute(sql)
    return LATEST
