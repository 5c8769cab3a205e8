-- The keyed chain (HMAC-SHA256 under a key kept outside the database).
-- key_id names the key a record was sealed with; '' for a record sealed
-- with plain SHA-256, as all were before. The head keeps the key id of the
-- last record, so that a process without the key cannot append an unkeyed
-- record after keyed ones.
ALTER TABLE privacy_consent_records ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE privacy_consent_head ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
