-- Stream keys are no longer kept in clear (Ingest/StreamKeyVault.cs): stream_key_hash is the key's SHA-256 (hex), which
-- nginx's publish callback is matched on, and stream_key_protected the key protected with ASP.NET Core Data Protection,
-- read back only to show the key to its instructor. Keys made before it are hashed, protected and emptied from
-- stream_key when the server starts (Hosting/StartupTasks.cs), where the key ring is at hand.

ALTER TABLE sessions ADD COLUMN stream_key_hash text NULL;
ALTER TABLE sessions ADD COLUMN stream_key_protected text NULL;

CREATE UNIQUE INDEX ux_sessions_stream_key_hash ON sessions (stream_key_hash) WHERE stream_key_hash IS NOT NULL;
