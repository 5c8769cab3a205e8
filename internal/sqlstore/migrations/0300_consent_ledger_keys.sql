-- The consent ledger, grown for evidence (Art. 7(1)) and erasure.
--
-- subject_ref is the subject's pseudonym, HMAC-SHA256(subject key,
-- subject_id): the record hash covers it instead of subject_id, so that
-- erasure can blank subject_id and the chain still verifies. Records
-- written before this migration keep '' and are hashed, as they were
-- sealed, over subject_id.
ALTER TABLE privacy_consent_records ADD COLUMN subject_ref TEXT NOT NULL DEFAULT '';

-- Evidence after erasure: a subject's records by pseudonym.
CREATE INDEX privacy_consent_records_ref
    ON privacy_consent_records (subject_ref, seq);

-- The key of the pseudonyms, generated once by the first process that
-- opens the database. It is kept apart from the records so that a
-- deployment can restrict it (GRANT) or move it out, as Art. 4(5) asks of
-- the information that re-identifies.
CREATE TABLE privacy_consent_keys (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    subject_key TEXT    NOT NULL -- hex
);
