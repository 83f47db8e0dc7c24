-- Register version 2: the tokens of the register's service (siteplan serve --register).
-- Only a hash of each token is kept (scrypt, a salt per token); the token itself is
-- shown once when it is made. Tokens are never deleted, only revoked, once.
-- This text is fixed data: nothing in it is ever built from user input.

CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  key_id TEXT NOT NULL UNIQUE CHECK (length(key_id) = 12),
  role TEXT NOT NULL CHECK (role IN ('admin', 'planner', 'partner')),
  partner_id INTEGER REFERENCES partners(id),
  name TEXT NOT NULL CHECK (length(trim(name)) > 0),
  scheme TEXT NOT NULL,
  salt TEXT NOT NULL CHECK (length(salt) >= 32),
  hash TEXT NOT NULL CHECK (length(hash) >= 64 AND hash NOT LIKE 'spt%'),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL CHECK (length(trim(created_by)) > 0),
  revoked_at TEXT,
  revoked_by TEXT,
  CONSTRAINT partner_token_names_its_partner CHECK ((role = 'partner') = (partner_id IS NOT NULL)),
  CONSTRAINT revoked_by_someone CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)));
CREATE TRIGGER tokens_no_delete BEFORE DELETE ON tokens
BEGIN SELECT RAISE(ABORT, 'siteplan: tokens are never deleted; revoke them'); END;
CREATE TRIGGER tokens_only_revoked BEFORE UPDATE ON tokens
BEGIN
  SELECT RAISE(ABORT, 'siteplan: a token changes only by being revoked, once')
   WHERE OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
      OR NEW.id <> OLD.id OR NEW.key_id <> OLD.key_id OR NEW.role <> OLD.role
      OR NEW.partner_id IS NOT OLD.partner_id OR NEW.name <> OLD.name
      OR NEW.scheme <> OLD.scheme OR NEW.salt <> OLD.salt OR NEW.hash <> OLD.hash
      OR NEW.created_at <> OLD.created_at OR NEW.created_by <> OLD.created_by;
END;
