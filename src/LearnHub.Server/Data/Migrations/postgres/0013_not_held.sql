-- PostgreSQL twin of sqlite/0013_not_held.sql.
-- With RTMP ingest, a session nothing was published for within Ingest:NotHeldAfter of its start is cancelled by the
-- server and marked not held (Sessions/LateStarts.cs), so clients can tell it from a cancel by its instructor.

ALTER TABLE sessions ADD COLUMN not_held bigint NOT NULL DEFAULT 0;
