-- gptimg Worker schema v6: what the provider may have billed is counted, and shown apart.

-- 1 when the row counts images of a request that failed after it reached the provider (cut,
-- reset, invalid answer, a storage failure after the images were made, a Worker that died
-- mid-request): the provider may have billed them, so the quota counts them, and usage reports
-- them apart from images known to be billed.
ALTER TABLE usage ADD COLUMN possibly_billed INTEGER NOT NULL DEFAULT 0;
-- 1 when the model has no rate in MODEL_RATES: cost_usd is then 0 and means "cost unknown".
ALTER TABLE usage ADD COLUMN cost_unknown INTEGER NOT NULL DEFAULT 0;
-- Synchronous rows still running, oldest first, for the sweep of rows whose Worker died.
CREATE INDEX jobs_status_created ON jobs (status, created_at);
