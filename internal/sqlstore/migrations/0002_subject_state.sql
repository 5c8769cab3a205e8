-- Subject state: one row per subject seen, and its objections in the order
-- they were made (position).
CREATE TABLE privacy_subject_states (
    subject_id  TEXT    NOT NULL PRIMARY KEY,
    restricted  BOOLEAN NOT NULL,
    deactivated BOOLEAN NOT NULL,
    updated_at  BIGINT             -- unix nanoseconds; NULL: never updated
);

CREATE TABLE privacy_subject_objections (
    subject_id       TEXT    NOT NULL REFERENCES privacy_subject_states (subject_id),
    position         INTEGER NOT NULL,
    purpose          TEXT    NOT NULL,
    direct_marketing BOOLEAN NOT NULL,
    objected_at      BIGINT,            -- unix nanoseconds; NULL: unknown
    PRIMARY KEY (subject_id, position)
);
