-- Retention (package retention): legal holds, controllers' periods for
-- their guests' data, and each named sweep's lease, checkpoint and audit.
CREATE TABLE privacy_retention_holds (
    id          TEXT   NOT NULL PRIMARY KEY,
    subject_id  TEXT   NOT NULL,          -- '': every subject
    category    TEXT   NOT NULL,          -- '': every category
    placed_by   TEXT   NOT NULL,
    reason      TEXT   NOT NULL,
    placed_at   BIGINT NOT NULL,          -- unix nanoseconds
    until_at    BIGINT,                   -- NULL: until released
    released_at BIGINT,                   -- NULL: not released
    released_by TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX privacy_retention_holds_open ON privacy_retention_holds (released_at, placed_at);

CREATE TABLE privacy_retention_overrides (
    controller TEXT   NOT NULL,
    category   TEXT   NOT NULL,
    period     TEXT   NOT NULL,           -- ISO 8601
    set_by     TEXT   NOT NULL,
    set_at     BIGINT,
    PRIMARY KEY (controller, category)
);

-- One row per named sweep: the lease (owner '' when free) and the
-- checkpoint as JSON. Acquire is a conditional upsert of this row, so that
-- of two sweepers exactly one gets the lease.
CREATE TABLE privacy_retention_sweeps (
    name        TEXT   NOT NULL PRIMARY KEY,
    owner       TEXT   NOT NULL,
    lease_until BIGINT NOT NULL,
    checkpoint  TEXT   NOT NULL
);

CREATE TABLE privacy_retention_audit (
    name     TEXT    NOT NULL,
    position BIGINT  NOT NULL,
    record   TEXT    NOT NULL,            -- retention.Audit as JSON
    PRIMARY KEY (name, position)
);
