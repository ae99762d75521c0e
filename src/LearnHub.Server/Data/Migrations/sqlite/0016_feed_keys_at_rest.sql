-- Calendar feed keys are no longer kept in clear (Data/SecretsAtRest.cs), as stream keys since 0015: feed_key_hash is
-- the key's SHA-256 (hex), which a feed URL's key is matched on, and feed_key_protected the key protected with ASP.NET
-- Core Data Protection, read back only to show the feed URLs to their owner. Keys made before it are hashed, protected
-- and emptied from feed_key when the server starts (Hosting/StartupTasks.cs), where the key ring is at hand.

ALTER TABLE users ADD COLUMN feed_key_hash TEXT NULL;
ALTER TABLE users ADD COLUMN feed_key_protected TEXT NULL;

CREATE UNIQUE INDEX ux_users_feed_key_hash ON users (feed_key_hash) WHERE feed_key_hash IS NOT NULL;
