-- gptimg Worker schema v3: chat delivery bookkeeping.

-- Parts of a chat reply already posted (e.g. 'image:0', 'text:failure'). Slack and Telegram have
-- no idempotency key of their own, so a retried Workflow delivery step checks here first and
-- posts only what is missing.
CREATE TABLE chat_deliveries (
  job_id TEXT NOT NULL,
  part TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, part)
);
