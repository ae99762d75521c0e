-- Local accounts for the admin console, per-user preferences, certification, calendar feed keys and platform settings.

ALTER TABLE users ADD COLUMN password_hash TEXT NULL;      -- ASP.NET Core PasswordHasher (PBKDF2); NULL: cannot sign in
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'zh-CN';
ALTER TABLE users ADD COLUMN certified INTEGER NOT NULL DEFAULT 0;  -- 认证用户: may broadcast to followers
ALTER TABLE users ADD COLUMN feed_key TEXT NULL;           -- secret in the user's calendar (.ics) feed URLs
CREATE UNIQUE INDEX ux_users_feed_key ON users (feed_key) WHERE feed_key IS NOT NULL;

CREATE TABLE platform_settings (
    key           TEXT PRIMARY KEY,
    value         TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    updated_by    TEXT NULL REFERENCES users (id)
);
