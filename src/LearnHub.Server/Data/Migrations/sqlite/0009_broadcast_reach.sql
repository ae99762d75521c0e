-- 群发记录's received and read counts move off the broadcasts row into a narrow table of their own. A first check-in
-- that receives hundreds of broadcasts bumped as many wide rows scattered over the broadcasts table (one page each in
-- the WAL); these rows are a few dozen bytes, keyed by the time-ordered broadcast id, so the broadcasts still inside
-- their 72-hour window share a few pages, and delivery bumps them in one set-based upsert. A row appears when its
-- broadcast is first received; none means 0 and 0.
CREATE TABLE broadcast_reach (
    broadcast_id   TEXT PRIMARY KEY REFERENCES broadcasts (id),
    received_count INTEGER NOT NULL DEFAULT 0,
    read_count     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

INSERT INTO broadcast_reach (broadcast_id, received_count, read_count)
SELECT id, received_count, read_count FROM broadcasts WHERE received_count > 0 OR read_count > 0 ORDER BY id;

ALTER TABLE broadcasts DROP COLUMN received_count;
ALTER TABLE broadcasts DROP COLUMN read_count;
