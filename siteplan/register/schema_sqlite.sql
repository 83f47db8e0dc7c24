-- The site-offer register in SQLite: one file that is also a GeoPackage
-- (the offers table is a feature layer QGIS opens; partners and events are
-- attribute tables). The rules live here, in the database: one open offer per
-- parcel (a partial unique index), moves only along the workflow (triggers
-- reading the transitions table), events only appended, an excluded parcel
-- offered only with a recorded override reason (a check).
-- This text is fixed data: nothing in it is ever built from user input.

PRAGMA application_id = 1196444487;   -- 'GPKG'
PRAGMA user_version = 10400;          -- GeoPackage 1.4.0

CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT
  (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE,
  max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id)
  REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- the workflow: every state, whether an offer in it holds its parcels, and the moves
CREATE TABLE states (
  name TEXT PRIMARY KEY, ord INTEGER NOT NULL UNIQUE, holds INTEGER NOT NULL CHECK (holds IN (0, 1)));
CREATE TABLE transitions (
  from_state TEXT NOT NULL, to_state TEXT NOT NULL REFERENCES states(name),
  PRIMARY KEY (from_state, to_state));

CREATE TABLE partners (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
  note TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL CHECK (length(trim(created_by)) > 0));

CREATE TABLE offers (
  id INTEGER PRIMARY KEY,
  partner_id INTEGER NOT NULL REFERENCES partners(id),
  site TEXT NOT NULL CHECK (length(site) > 0),           -- the parcel ids, ';'-separated
  profile TEXT NOT NULL CHECK (length(trim(profile)) > 0),
  profile_version TEXT NOT NULL,
  method TEXT NOT NULL,
  siteplan_version TEXT NOT NULL,
  score REAL, rank INTEGER,                             -- the site's, when offered
  state TEXT NOT NULL REFERENCES states(name),           -- kept equal to the last event
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL CHECK (length(trim(created_by)) > 0),
  note TEXT NOT NULL DEFAULT '',
  override_reason TEXT CHECK (override_reason IS NULL OR length(trim(override_reason)) > 0),
  geom BLOB);

CREATE TABLE offer_parcels (
  offer_id INTEGER NOT NULL REFERENCES offers(id),
  parcel_id TEXT NOT NULL CHECK (length(parcel_id) > 0),
  holds INTEGER NOT NULL DEFAULT 1 CHECK (holds IN (0, 1)),
  score REAL, rank INTEGER,
  excluded_by TEXT NOT NULL DEFAULT '',
  override_reason TEXT,
  PRIMARY KEY (offer_id, parcel_id),
  CONSTRAINT excluded_needs_override CHECK (
    excluded_by = '' OR length(trim(coalesce(override_reason, ''))) > 0));
-- a parcel is in at most one open offer: two writers cannot both win
CREATE UNIQUE INDEX one_open_offer_per_parcel ON offer_parcels (parcel_id) WHERE holds = 1;

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  offer_id INTEGER NOT NULL REFERENCES offers(id),
  at TEXT NOT NULL,
  recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  actor TEXT NOT NULL CHECK (length(trim(actor)) > 0),
  from_state TEXT NOT NULL,                              -- '' when the offer is made
  to_state TEXT NOT NULL REFERENCES states(name),
  note TEXT NOT NULL DEFAULT '',
  agreement_no TEXT,
  agreement_date TEXT,
  CONSTRAINT agreement_needs_number_and_date CHECK (to_state <> 'disepakati' OR (
    length(trim(coalesce(agreement_no, ''))) > 0 AND agreement_date IS NOT NULL)),
  CONSTRAINT closing_needs_reason CHECK (
    to_state NOT IN ('ditolak', 'dibatalkan') OR length(trim(note)) > 0));
CREATE INDEX events_by_offer ON events (offer_id, id);

-- moves only along the workflow, from the offer's current state
CREATE TRIGGER events_follow_workflow BEFORE INSERT ON events
BEGIN
  SELECT RAISE(ABORT, 'siteplan: move not in the workflow')
   WHERE NOT EXISTS (SELECT 1 FROM transitions
                      WHERE from_state = NEW.from_state AND to_state = NEW.to_state);
  SELECT RAISE(ABORT, 'siteplan: the offer is not in the state the move starts from')
   WHERE coalesce((SELECT to_state FROM events WHERE offer_id = NEW.offer_id
                    ORDER BY id DESC LIMIT 1), '') <> NEW.from_state;
END;
CREATE TRIGGER events_set_state AFTER INSERT ON events
BEGIN
  UPDATE offers SET state = NEW.to_state WHERE id = NEW.offer_id;
  UPDATE offer_parcels SET holds = (SELECT holds FROM states WHERE name = NEW.to_state)
   WHERE offer_id = NEW.offer_id;
END;
-- history is never rewritten
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'siteplan: events are only appended, never changed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'siteplan: events are only appended, never deleted'); END;
-- an offer starts in a state a new offer may take; its state follows its last event
CREATE TRIGGER offers_start BEFORE INSERT ON offers
BEGIN
  SELECT RAISE(ABORT, 'siteplan: a new offer must start in a first state of the workflow')
   WHERE NOT EXISTS (SELECT 1 FROM transitions WHERE from_state = '' AND to_state = NEW.state);
END;
CREATE TRIGGER offers_state_follows_events BEFORE UPDATE ON offers
BEGIN
  SELECT RAISE(ABORT, 'siteplan: an offer changes only by appending an event')
   WHERE NEW.id <> OLD.id OR NEW.partner_id <> OLD.partner_id OR NEW.site <> OLD.site
      OR NEW.profile <> OLD.profile OR NEW.profile_version <> OLD.profile_version
      OR NEW.created_at <> OLD.created_at OR NEW.created_by <> OLD.created_by
      OR NEW.score IS NOT OLD.score OR NEW.rank IS NOT OLD.rank
      OR NEW.override_reason IS NOT OLD.override_reason OR NEW.geom IS NOT OLD.geom
      OR NEW.note <> OLD.note
      OR NEW.state IS NOT (SELECT to_state FROM events WHERE offer_id = OLD.id
                            ORDER BY id DESC LIMIT 1);
END;
CREATE TRIGGER offers_no_delete BEFORE DELETE ON offers
BEGIN SELECT RAISE(ABORT, 'siteplan: offers are never deleted; cancel them (dibatalkan)'); END;
CREATE TRIGGER offer_parcels_follow_state BEFORE UPDATE ON offer_parcels
BEGIN
  SELECT RAISE(ABORT, 'siteplan: an offer''s parcels change only with its state')
   WHERE NEW.offer_id <> OLD.offer_id OR NEW.parcel_id <> OLD.parcel_id
      OR NEW.score IS NOT OLD.score OR NEW.rank IS NOT OLD.rank
      OR NEW.excluded_by <> OLD.excluded_by OR NEW.override_reason IS NOT OLD.override_reason
      OR NEW.holds <> (SELECT s.holds FROM offers o JOIN states s ON s.name = o.state
                        WHERE o.id = OLD.offer_id);
END;
CREATE TRIGGER offer_parcels_only_at_start BEFORE INSERT ON offer_parcels
BEGIN
  SELECT RAISE(ABORT, 'siteplan: parcels join an offer only when it is made')
   WHERE EXISTS (SELECT 1 FROM events WHERE offer_id = NEW.offer_id);
END;
CREATE TRIGGER offer_parcels_no_delete BEFORE DELETE ON offer_parcels
BEGIN SELECT RAISE(ABORT, 'siteplan: an offer''s parcels are never deleted'); END;
CREATE TRIGGER partners_no_delete BEFORE DELETE ON partners
BEGIN SELECT RAISE(ABORT, 'siteplan: partners are never deleted'); END;
