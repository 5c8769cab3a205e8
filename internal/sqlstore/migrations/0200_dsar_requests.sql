-- Data-subject requests (package subject). The whole request, with its
-- source outcomes and audit trail, is one JSON document (body) that Update
-- rewrites under a row lock; the columns beside it are copies of the fields
-- List filters and sorts on.
CREATE TABLE privacy_dsar_requests (
    id          TEXT   NOT NULL PRIMARY KEY,
    subject_id  TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    received_at BIGINT NOT NULL, -- unix nanoseconds
    due         BIGINT NOT NULL, -- unix nanoseconds of midnight UTC of the due date
    body        TEXT   NOT NULL  -- subject.Request as JSON
);

CREATE INDEX privacy_dsar_requests_subject ON privacy_dsar_requests (subject_id, received_at);
CREATE INDEX privacy_dsar_requests_due ON privacy_dsar_requests (status, due);
