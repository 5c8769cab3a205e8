-- The affirmative act by which consent was given (GDPR Art. 4(11)):
-- unticked_box, button, signed_form, recorded_verbal or api. '' in records
-- written before acts were kept; the record hash leaves an empty act out,
-- so their hashes are unchanged.
ALTER TABLE privacy_consent_records ADD COLUMN act TEXT NOT NULL DEFAULT '';
