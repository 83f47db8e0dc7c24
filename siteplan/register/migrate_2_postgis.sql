-- Register version 2: the tokens of the register's service (siteplan serve --register).
-- The same table and rules as migrate_2_sqlite.sql: only a hash of each token is kept
-- (scrypt, a salt per token); tokens are never deleted, only revoked, once.
-- This text is fixed data: nothing in it is ever built from user input.

CREATE TABLE tokens (
  id bigserial PRIMARY KEY,
  key_id text NOT NULL UNIQUE CHECK (length(key_id) = 12),
  role text NOT NULL CHECK (role IN ('admin', 'planner', 'partner')),
  partner_id bigint REFERENCES partners(id),
  name text NOT NULL CHECK (length(trim(name)) > 0),
  scheme text NOT NULL,
  salt text NOT NULL CHECK (length(salt) >= 32),
  hash text NOT NULL CHECK (length(hash) >= 64 AND hash NOT LIKE 'spt%'),
  created_at timestamptz NOT NULL,
  created_by text NOT NULL CHECK (length(trim(created_by)) > 0),
  revoked_at timestamptz,
  revoked_by text,
  CONSTRAINT partner_token_names_its_partner CHECK ((role = 'partner') = (partner_id IS NOT NULL)),
  CONSTRAINT revoked_by_someone CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)));
CREATE TRIGGER tokens_no_delete BEFORE DELETE ON tokens FOR EACH ROW
  EXECUTE FUNCTION siteplan_refuse('tokens are never deleted; revoke them');
CREATE TRIGGER tokens_no_truncate BEFORE TRUNCATE ON tokens FOR EACH STATEMENT
  EXECUTE FUNCTION siteplan_refuse('tokens are never deleted; revoke them');

CREATE FUNCTION siteplan_tokens_only_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
     OR (to_jsonb(NEW) - 'revoked_at' - 'revoked_by')
        IS DISTINCT FROM (to_jsonb(OLD) - 'revoked_at' - 'revoked_by') THEN
    RAISE EXCEPTION 'siteplan: a token changes only by being revoked, once'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER tokens_only_revoked BEFORE UPDATE ON tokens
  FOR EACH ROW EXECUTE FUNCTION siteplan_tokens_only_revoked();
