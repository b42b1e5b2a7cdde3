-- gptimg Worker schema v8: an Idempotency-Key's claim names the job that holds it, so admission
-- can claim the key in its own D1 batch (the hold is taken only by the request that holds the key)
-- and the settlement stores the answer, or gives the key back, for its own claim only. Rows of
-- earlier claims have no job: a pending one is taken over when stale, as before.
ALTER TABLE idempotent_responses ADD COLUMN job_id TEXT;
