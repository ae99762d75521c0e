-- PostgreSQL twin of sqlite/0002_accounts_and_settings.sql: same tables, columns and index names (a test compares them).
-- Local accounts for the admin console, per-user preferences, certification, calendar feed keys and platform settings.

ALTER TABLE users ADD COLUMN password_hash text NULL;      -- ASP.NET Core PasswordHasher (PBKDF2); NULL: cannot sign in
ALTER TABLE users ADD COLUMN language text NOT NULL DEFAULT 'zh-CN';
ALTER TABLE users ADD COLUMN certified bigint NOT NULL DEFAULT 0;  -- 认证用户: may broadcast to followers
ALTER TABLE users ADD COLUMN feed_key text NULL;           -- secret in the user's calendar (.ics) feed URLs
CREATE UNIQUE INDEX ux_users_feed_key ON users (feed_key) WHERE feed_key IS NOT NULL;

CREATE TABLE platform_settings (
    key           text PRIMARY KEY,
    value         text NOT NULL,
    updated_at_ms bigint NOT NULL,
    updated_by    text NULL REFERENCES users (id)
);
