-- gptimg Worker schema v2: what jobs and idempotent replays need beyond v1.

-- One job per (team, Idempotency-Key): the insert itself is the lock, so two concurrent POSTs
-- with one key make one job (the loser reads the winner's row).
CREATE UNIQUE INDEX jobs_team_idempotency ON jobs (team, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Origin (scheme://host) the job was created through, so the Workflow can sign URLs for callbacks
-- and chat replies without a request in hand.
ALTER TABLE jobs ADD COLUMN origin TEXT;
-- Generation attempts started by the Workflow. A step that finds status 'running' on entry was
-- interrupted after it may have reached the provider, and is not replayed.
ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
-- JSON { callback?: { ok, status?, error?, at }, chat?: { ok, error?, at } }
ALTER TABLE jobs ADD COLUMN delivery_state TEXT;

-- Idempotency-Key replays of the synchronous /v1/images routes, per team.
-- state 'pending' while the first request runs; 'done' with a compact, replayable response.
CREATE TABLE idempotent_responses (
  team TEXT NOT NULL,
  key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  state TEXT NOT NULL,                 -- pending | done
  response_status INTEGER,
  response_json TEXT,                  -- JSON StoredResponse (see src/middleware/idempotency.ts)
  created_at INTEGER NOT NULL,
  PRIMARY KEY (team, key)
);
