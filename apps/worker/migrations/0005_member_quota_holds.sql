-- Chat members have no token: their daily quota counts by (team, member), so their quota holds
-- are keyed the same way. A hold now carries either a token id or a team and member. The table is
-- rebuilt (SQLite cannot drop NOT NULL in place) with its live holds copied over.
CREATE TABLE quota_holds_new (
  id TEXT PRIMARY KEY,                 -- hold_<random>
  token_id TEXT,                       -- a member token's hold
  team TEXT,                           -- a chat member's hold: team and member, no token
  member TEXT,
  images INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,         -- unix seconds
  CHECK ((token_id IS NOT NULL) <> (team IS NOT NULL AND member IS NOT NULL))
);
INSERT INTO quota_holds_new (id, token_id, images, expires_at) SELECT id, token_id, images, expires_at FROM quota_holds;
DROP TABLE quota_holds;
ALTER TABLE quota_holds_new RENAME TO quota_holds;
CREATE INDEX quota_holds_token ON quota_holds (token_id, expires_at);
CREATE INDEX quota_holds_member ON quota_holds (team, member, expires_at);
