-- The site-offer register in PostgreSQL with PostGIS, for several users.
-- The same tables and rules as schema_sqlite.sql: one open offer per parcel
-- (a partial unique index), moves only along the workflow (a trigger that
-- locks the offer's row and reads the transitions table), events only
-- appended (triggers refuse UPDATE, DELETE and TRUNCATE), an excluded parcel
-- offered only with a recorded override reason (a check).
-- This text is fixed data: nothing in it is ever built from user input.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);

CREATE TABLE states (
  name text PRIMARY KEY, ord integer NOT NULL UNIQUE, holds boolean NOT NULL);
CREATE TABLE transitions (
  from_state text NOT NULL, to_state text NOT NULL REFERENCES states(name),
  PRIMARY KEY (from_state, to_state));

CREATE TABLE partners (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
  note text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  created_by text NOT NULL CHECK (length(trim(created_by)) > 0));

CREATE TABLE offers (
  id bigserial PRIMARY KEY,
  partner_id bigint NOT NULL REFERENCES partners(id),
  site text NOT NULL CHECK (length(site) > 0),
  profile text NOT NULL CHECK (length(trim(profile)) > 0),
  profile_version text NOT NULL,
  method text NOT NULL,
  siteplan_version text NOT NULL,
  score double precision, rank integer,
  state text NOT NULL REFERENCES states(name),
  created_at timestamptz NOT NULL,
  created_by text NOT NULL CHECK (length(trim(created_by)) > 0),
  note text NOT NULL DEFAULT '',
  override_reason text CHECK (override_reason IS NULL OR length(trim(override_reason)) > 0),
  geom geometry);

CREATE TABLE offer_parcels (
  offer_id bigint NOT NULL REFERENCES offers(id),
  parcel_id text NOT NULL CHECK (length(parcel_id) > 0),
  holds boolean NOT NULL DEFAULT true,
  score double precision, rank integer,
  excluded_by text NOT NULL DEFAULT '',
  override_reason text,
  PRIMARY KEY (offer_id, parcel_id),
  CONSTRAINT excluded_needs_override CHECK (
    excluded_by = '' OR length(trim(coalesce(override_reason, ''))) > 0));
-- a parcel is in at most one open offer: two writers cannot both win
CREATE UNIQUE INDEX one_open_offer_per_parcel ON offer_parcels (parcel_id) WHERE holds;

CREATE TABLE events (
  id bigserial PRIMARY KEY,
  offer_id bigint NOT NULL REFERENCES offers(id),
  at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL CHECK (length(trim(actor)) > 0),
  from_state text NOT NULL,
  to_state text NOT NULL REFERENCES states(name),
  note text NOT NULL DEFAULT '',
  agreement_no text,
  agreement_date date,
  CONSTRAINT agreement_needs_number_and_date CHECK (to_state <> 'disepakati' OR (
    length(trim(coalesce(agreement_no, ''))) > 0 AND agreement_date IS NOT NULL)),
  CONSTRAINT closing_needs_reason CHECK (
    to_state NOT IN ('ditolak', 'dibatalkan') OR length(trim(note)) > 0));
CREATE INDEX events_by_offer ON events (offer_id, id);

CREATE FUNCTION siteplan_events_follow_workflow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  current text;
  allowed text;
BEGIN
  -- lock the offer: two moves of one offer run one after the other
  PERFORM 1 FROM offers WHERE id = NEW.offer_id FOR UPDATE;
  SELECT to_state INTO current FROM events WHERE offer_id = NEW.offer_id
   ORDER BY id DESC LIMIT 1;
  current := coalesce(current, '');
  IF current <> NEW.from_state THEN
    RAISE EXCEPTION 'siteplan: the offer is not in the state the move starts from'
      USING ERRCODE = 'check_violation';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM transitions
                  WHERE from_state = NEW.from_state AND to_state = NEW.to_state) THEN
    SELECT string_agg(t.to_state, ', ' ORDER BY s.ord) INTO allowed
      FROM transitions t JOIN states s ON s.name = t.to_state WHERE t.from_state = current;
    RAISE EXCEPTION 'siteplan: move not in the workflow (allowed next: %)',
      coalesce(allowed, 'none') USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER events_follow_workflow BEFORE INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION siteplan_events_follow_workflow();

CREATE FUNCTION siteplan_events_set_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE offers SET state = NEW.to_state WHERE id = NEW.offer_id;
  UPDATE offer_parcels SET holds = (SELECT holds FROM states WHERE name = NEW.to_state)
   WHERE offer_id = NEW.offer_id;
  RETURN NULL;
END $$;
CREATE TRIGGER events_set_state AFTER INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION siteplan_events_set_state();

CREATE FUNCTION siteplan_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'siteplan: %', TG_ARGV[0] USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW
  EXECUTE FUNCTION siteplan_refuse('events are only appended, never changed');
CREATE TRIGGER events_no_delete BEFORE DELETE ON events FOR EACH ROW
  EXECUTE FUNCTION siteplan_refuse('events are only appended, never deleted');
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT
  EXECUTE FUNCTION siteplan_refuse('events are only appended, never deleted');
CREATE TRIGGER offers_no_delete BEFORE DELETE ON offers FOR EACH ROW
  EXECUTE FUNCTION siteplan_refuse('offers are never deleted; cancel them (dibatalkan)');
CREATE TRIGGER offers_no_truncate BEFORE TRUNCATE ON offers FOR EACH STATEMENT
  EXECUTE FUNCTION siteplan_refuse('offers are never deleted; cancel them (dibatalkan)');
CREATE TRIGGER offer_parcels_no_delete BEFORE DELETE ON offer_parcels FOR EACH ROW
  EXECUTE FUNCTION siteplan_refuse('an offer''s parcels are never deleted');
CREATE TRIGGER offer_parcels_no_truncate BEFORE TRUNCATE ON offer_parcels FOR EACH STATEMENT
  EXECUTE FUNCTION siteplan_refuse('an offer''s parcels are never deleted');
CREATE TRIGGER partners_no_delete BEFORE DELETE ON partners FOR EACH ROW
  EXECUTE FUNCTION siteplan_refuse('partners are never deleted');

CREATE FUNCTION siteplan_offers_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM transitions WHERE from_state = '' AND to_state = NEW.state) THEN
    RAISE EXCEPTION 'siteplan: a new offer must start in a first state of the workflow'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER offers_start BEFORE INSERT ON offers
  FOR EACH ROW EXECUTE FUNCTION siteplan_offers_start();

CREATE FUNCTION siteplan_offers_follow_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (to_jsonb(NEW) - 'state') IS DISTINCT FROM (to_jsonb(OLD) - 'state')
     OR NEW.state IS DISTINCT FROM (SELECT to_state FROM events WHERE offer_id = OLD.id
                                    ORDER BY id DESC LIMIT 1) THEN
    RAISE EXCEPTION 'siteplan: an offer changes only by appending an event'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER offers_state_follows_events BEFORE UPDATE ON offers
  FOR EACH ROW EXECUTE FUNCTION siteplan_offers_follow_events();

CREATE FUNCTION siteplan_offer_parcels_follow_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM events WHERE offer_id = NEW.offer_id) THEN
      RAISE EXCEPTION 'siteplan: parcels join an offer only when it is made'
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF (to_jsonb(NEW) - 'holds') IS DISTINCT FROM (to_jsonb(OLD) - 'holds')
     OR NEW.holds IS DISTINCT FROM (SELECT s.holds FROM offers o JOIN states s
                                     ON s.name = o.state WHERE o.id = OLD.offer_id) THEN
    RAISE EXCEPTION 'siteplan: an offer''s parcels change only with its state'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER offer_parcels_follow_state BEFORE INSERT OR UPDATE ON offer_parcels
  FOR EACH ROW EXECUTE FUNCTION siteplan_offer_parcels_follow_state();
