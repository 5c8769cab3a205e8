-- The consent ledger: append-only. The store only ever inserts records and
-- moves the one-row head forward, so that the chain can be recomputed
-- from these columns alone: every Record field has one.
-- Times are unix nanoseconds (UTC): timestamptz keeps microseconds only,
-- which would change the record hash.
CREATE TABLE privacy_consent_head (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);

INSERT INTO privacy_consent_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE privacy_consent_records (
    seq            BIGINT  NOT NULL PRIMARY KEY,
    record_id      TEXT    NOT NULL UNIQUE,
    subject_id     TEXT    NOT NULL,
    controller     TEXT    NOT NULL,
    purpose        TEXT    NOT NULL,
    categories     TEXT    NOT NULL, -- JSON array of category keys
    event          TEXT    NOT NULL,
    policy_version TEXT    NOT NULL,
    notice_hash    TEXT    NOT NULL,
    method         TEXT    NOT NULL,
    collected_by   TEXT    NOT NULL,
    language       TEXT    NOT NULL,
    jurisdiction   TEXT    NOT NULL,
    collected_at   BIGINT  NOT NULL, -- unix nanoseconds
    expires_at     BIGINT,           -- unix nanoseconds; NULL: no expiry
    guardian       BOOLEAN NOT NULL,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL
);

-- State: the latest record of (subject, purpose) at or before a time, ties
-- broken by seq.
CREATE INDEX privacy_consent_records_state
    ON privacy_consent_records (subject_id, purpose, collected_at, seq);

-- History: a subject's records in ledger order.
CREATE INDEX privacy_consent_records_subject
    ON privacy_consent_records (subject_id, seq);
