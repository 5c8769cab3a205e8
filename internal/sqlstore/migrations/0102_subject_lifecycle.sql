-- Subject lifecycle (branch retention): when each retention trigger
-- happened for a subject (account closed, last activity …).
CREATE TABLE privacy_subject_lifecycle (
    subject_id TEXT   NOT NULL REFERENCES privacy_subject_states (subject_id),
    event      TEXT   NOT NULL,
    at         BIGINT NOT NULL,              -- unix nanoseconds
    PRIMARY KEY (subject_id, event)
);
