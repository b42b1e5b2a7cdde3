-- gptimg Worker schema v1: member tokens, rate-limit windows, usage, jobs, idempotency keys,
-- webhook event ids. Times are unix seconds unless named otherwise.

-- Member tokens. Only the SHA-256 hex of the token is stored; the token is shown once.
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,                 -- tok_<random>
  token_hash TEXT NOT NULL UNIQUE,     -- hex SHA-256 of "gpi_…"
  team TEXT NOT NULL,
  member TEXT NOT NULL,
  models TEXT,                         -- JSON array of allowed models, NULL = all
  daily_image_quota INTEGER,           -- NULL = unlimited
  rpm INTEGER,                         -- requests per minute, NULL = unlimited
  created_at INTEGER NOT NULL,
  expires_at INTEGER,                  -- NULL = never
  revoked_at INTEGER                   -- NULL = active
);
CREATE INDEX tokens_team ON tokens (team, created_at);

-- Fixed one-minute request windows per token for the rpm limit; old rows are pruned lazily.
CREATE TABLE rate_windows (
  token_id TEXT NOT NULL,
  window_start INTEGER NOT NULL,       -- unix seconds, multiple of 60
  count INTEGER NOT NULL,
  PRIMARY KEY (token_id, window_start)
);

-- One row per billed request or job. Daily quotas sum `images` per token and UTC day.
CREATE TABLE usage (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  day TEXT NOT NULL,                   -- YYYY-MM-DD (UTC)
  team TEXT NOT NULL,
  member TEXT NOT NULL,
  token_id TEXT,
  model TEXT NOT NULL,
  images INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  input_text_tokens INTEGER NOT NULL DEFAULT 0,
  input_image_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  output_text_tokens INTEGER NOT NULL DEFAULT 0,
  output_image_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  job_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX usage_day_team ON usage (day, team, member);
CREATE INDEX usage_token_day ON usage (token_id, day);

-- Image requests: synchronous ones (kind generate|edit, finished in one request) and jobs.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,                 -- job_<random> / img_<random>
  team TEXT NOT NULL,
  member TEXT NOT NULL,
  token_id TEXT,
  kind TEXT NOT NULL,                  -- generate | edit
  status TEXT NOT NULL,                -- queued | running | succeeded | failed
  model TEXT NOT NULL,
  request_json TEXT NOT NULL,          -- the request's options without image bytes
  input_keys TEXT,                     -- JSON array of R2 keys of edit inputs (mask last, named)
  image_keys TEXT,                     -- JSON array of { index, key, format, width, height, bytes }
  usage TEXT,                          -- JSON ImageUsage
  cost REAL,                           -- USD
  error TEXT,                          -- JSON { code, message, status, request_id, possibly_billed }
  provider TEXT,
  request_id TEXT,
  requested_size TEXT,
  size_mismatch INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT,
  body_hash TEXT,
  callback_url TEXT,
  delivery TEXT,                       -- JSON delivery target/state (webhook reply, callback)
  created_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX jobs_team_created ON jobs (team, created_at DESC, id);
CREATE INDEX jobs_member_created ON jobs (team, member, created_at DESC, id);

-- Idempotency-Key per token: same key + same body hash → same job.
CREATE TABLE idempotency (
  token_id TEXT NOT NULL,
  key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (token_id, key)
);

-- Platform event ids already seen, so a redelivered webhook starts no second job.
CREATE TABLE webhook_events (
  platform TEXT NOT NULL,
  event_id TEXT NOT NULL,
  job_id TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (platform, event_id)
);
