-- PostgreSQL twin of sqlite/0012_ingest.sql.
-- RTMP ingest (Ingest/): each session's secret stream key (made on its instructor's first GetStreamKey, replaced by
-- RotateStreamKey) and where its video stands as nginx's publish callbacks report it. ingest_state: 0 nothing
-- published yet, 2 receiving, 3 reconnect grace (IngestState in sessions.proto). ingest_client_id is nginx's clientid of
-- the publisher the state belongs to, so a late or replayed callback of an earlier connection changes nothing.
-- playback_url is set when a stream first arrives (the HLS playlist under Ingest:HlsBaseUrl).

ALTER TABLE sessions ADD COLUMN stream_key text NULL;
ALTER TABLE sessions ADD COLUMN stream_key_created_at_ms bigint NULL;
ALTER TABLE sessions ADD COLUMN ingest_state bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN ingest_client_id text NULL;
ALTER TABLE sessions ADD COLUMN ingest_grace_end_ms bigint NULL;
ALTER TABLE sessions ADD COLUMN playback_url text NULL;

CREATE UNIQUE INDEX ux_sessions_stream_key ON sessions (stream_key) WHERE stream_key IS NOT NULL;
