-- Fewer index pages per append (group commit writes each dirty page to
-- the WAL). History reads a subject's records through the state index,
-- which starts with subject_id as this one did, and sorts the few by seq.
DROP INDEX privacy_consent_records_subject;
