-- Images a member token has been granted but not yet recorded in `usage` or in a job row: taken
-- atomically with the quota check, released once the request's job row exists. A hold that was
-- never released (an isolate that died) stops counting at `expires_at`.
CREATE TABLE quota_holds (
  id TEXT PRIMARY KEY,                 -- hold_<random>
  token_id TEXT NOT NULL,
  images INTEGER NOT NULL,
  expires_at INTEGER NOT NULL          -- unix seconds
);
CREATE INDEX quota_holds_token ON quota_holds (token_id, expires_at);
CREATE INDEX jobs_token_status ON jobs (token_id, status, created_at);
