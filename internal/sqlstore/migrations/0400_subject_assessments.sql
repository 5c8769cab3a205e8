-- Assessments of compelling grounds (GDPR Art. 21(1)): the controller's
-- finding, for one subject and one purpose they objected to, that
-- compelling legitimate grounds override the objection; who made it, when
-- and why. At most one per subject and purpose; position keeps the order
-- they were recorded in.
CREATE TABLE privacy_subject_assessments (
    subject_id  TEXT    NOT NULL REFERENCES privacy_subject_states (subject_id),
    position    INTEGER NOT NULL,
    purpose     TEXT    NOT NULL,
    assessed_by TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    assessed_at BIGINT  NOT NULL,          -- unix nanoseconds
    PRIMARY KEY (subject_id, position),
    UNIQUE (subject_id, purpose)
);
