-- A ready-made retention inventory (sqlstore.Inventory): a service that
-- has no index of its own registers each record it holds, with the times
-- of the built-in triggers, and erases through it. Anonymised rows stay,
-- stripped of their subject, and are no longer listed.
CREATE TABLE privacy_retention_records (
    key                  TEXT    NOT NULL PRIMARY KEY,
    subject_id           TEXT    NOT NULL,
    controller           TEXT    NOT NULL,
    category             TEXT    NOT NULL,
    collected_at         BIGINT,
    account_closed_at    BIGINT,
    last_activity_at     BIGINT,
    meeting_ended_at     BIGINT,
    consent_withdrawn_at BIGINT,
    anonymised           BOOLEAN NOT NULL DEFAULT FALSE
);
