-- Console sign-ins: a member or admin token exchanged for a session cookie. Only the SHA-256 hex
-- of the cookie's secret is stored, so a leaked database yields no usable session. A member
-- session lives no longer than its token: revoking or expiring the token ends it too.
CREATE TABLE console_sessions (
  id_hash TEXT PRIMARY KEY,            -- hex SHA-256 of the cookie value
  role TEXT NOT NULL,                  -- member | admin
  token_id TEXT,                       -- the member token signed in with; NULL for admin
  created_at INTEGER NOT NULL,         -- unix seconds
  expires_at INTEGER NOT NULL          -- unix seconds
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
