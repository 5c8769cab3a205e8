-- Appends write no page of a random index. The index by pseudonym
-- (0300) put every appended record on a random page (a pseudonym is an
-- HMAC), so that each group commit wrote one index page per record. Only
-- erased records are looked up by pseudonym (PartlyErased, evidence after
-- erasure): index those alone. An append, whose subject_id is never
-- blank, does not touch it; Pseudonymise adds the records it blanks.
DROP INDEX privacy_consent_records_ref;

CREATE INDEX privacy_consent_records_erased
    ON privacy_consent_records (subject_ref, seq) WHERE subject_id = '';
