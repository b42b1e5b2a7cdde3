-- gptimg Worker schema v7: Idempotency-Key is scoped to the member token that sent it, so one
-- member's key can never replay, collide with or block another member's request (each request is
-- checked against its own token's models, quota and rpm). Chat jobs have no token: their keys
-- (chat:<platform>:<event id>) stay per team.

DROP INDEX jobs_team_idempotency;
CREATE UNIQUE INDEX jobs_token_idempotency ON jobs (team, COALESCE(token_id, ''), idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- Replays of the synchronous /v1/images routes, per token. Rows kept under the old per-team key
-- cannot be told apart by token and are not carried over: a retry of such a request runs afresh.
DROP TABLE idempotent_responses;
CREATE TABLE idempotent_responses (
  token_id TEXT NOT NULL,
  key TEXT NOT NULL,
  team TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  state TEXT NOT NULL,                 -- pending | done
  response_status INTEGER,
  response_json TEXT,                  -- JSON StoredResponse (see src/middleware/idempotency.ts)
  created_at INTEGER NOT NULL,
  PRIMARY KEY (token_id, key)
);
