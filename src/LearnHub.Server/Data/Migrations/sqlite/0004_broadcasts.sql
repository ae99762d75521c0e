-- Follows (关注/粉丝), followers' per-creator choices, and fan broadcasts (群发) with their weekly quota, inboxes,
-- reports and audit trail.

ALTER TABLE users ADD COLUMN follower_count INTEGER NOT NULL DEFAULT 0;   -- kept with follows, so approval reads one row
ALTER TABLE users ADD COLUMN following_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE follows (
    follower_id   TEXT NOT NULL REFERENCES users (id),
    creator_id    TEXT NOT NULL REFERENCES users (id),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (follower_id, creator_id),
    CHECK (follower_id <> creator_id)
) WITHOUT ROWID;
CREATE INDEX ix_follows_creator ON follows (creator_id);

-- 消息免打扰 (muted) and 拉黑 (blocked), per follower and creator, followed or not.
CREATE TABLE creator_preferences (
    user_id    TEXT NOT NULL REFERENCES users (id),
    creator_id TEXT NOT NULL REFERENCES users (id),
    muted      INTEGER NOT NULL DEFAULT 0,
    blocked    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, creator_id)
) WITHOUT ROWID;

-- One row per creator and calendar week (platform zone); the CHECK is the last guard of 2 − frozen − consumed ≥ 0.
CREATE TABLE broadcast_quota_weeks (
    creator_id    TEXT NOT NULL REFERENCES users (id),
    week_start_ms INTEGER NOT NULL,
    frozen        INTEGER NOT NULL DEFAULT 0,
    consumed      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (creator_id, week_start_ms),
    CHECK (frozen >= 0 AND consumed >= 0 AND frozen + consumed <= 2)
) WITHOUT ROWID;

CREATE TABLE broadcasts (
    id                   TEXT PRIMARY KEY,
    creator_id           TEXT NOT NULL REFERENCES users (id),
    request_id           TEXT NOT NULL,
    content_hash         TEXT NOT NULL,           -- SHA-256 of what was submitted: a reused request id must match it
    kind                 INTEGER NOT NULL,        -- 1 text, 2 image
    text                 TEXT NOT NULL,
    image_content_type   TEXT NULL,
    image_width          INTEGER NULL,
    image_height         INTEGER NULL,
    status               INTEGER NOT NULL,        -- 1 pending, 2 approved, 3 rejected, 4 withdrawn, 5 expired, 6 taken down
    agreement_version    TEXT NOT NULL,
    week_start_ms        INTEGER NOT NULL,        -- the quota week it was submitted in
    submitted_at_ms      INTEGER NOT NULL,
    review_deadline_ms   INTEGER NOT NULL,
    decided_at_ms        INTEGER NULL,
    decided_by           TEXT NULL REFERENCES users (id),
    reason               TEXT NULL,
    approved_at_ms       INTEGER NULL,
    eligible_at_approval INTEGER NULL,
    received_count       INTEGER NOT NULL DEFAULT 0,
    read_count           INTEGER NOT NULL DEFAULT 0,
    UNIQUE (creator_id, request_id)
);
CREATE INDEX ix_broadcasts_creator ON broadcasts (creator_id, submitted_at_ms);
CREATE INDEX ix_broadcasts_pending ON broadcasts (submitted_at_ms) WHERE status = 1;
-- Sign-in delivery: a follower's creators' broadcasts approved in the last 72 hours.
CREATE INDEX ix_broadcasts_delivery ON broadcasts (creator_id, approved_at_ms) WHERE status = 2;

CREATE TABLE broadcast_images (
    broadcast_id TEXT PRIMARY KEY REFERENCES broadcasts (id),
    data         BLOB NOT NULL
);

-- A follower's copy: unique per (follower, broadcast), so two simultaneous sign-ins never deliver twice. A deleted
-- message keeps its row so that it is not received again.
CREATE TABLE inbox_messages (
    follower_id    TEXT NOT NULL REFERENCES users (id),
    broadcast_id   TEXT NOT NULL REFERENCES broadcasts (id),
    received_at_ms INTEGER NOT NULL,
    read_at_ms     INTEGER NULL,
    deleted        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (follower_id, broadcast_id)
) WITHOUT ROWID;
CREATE INDEX ix_inbox_newest ON inbox_messages (follower_id, received_at_ms);

CREATE TABLE broadcast_reports (
    id            TEXT PRIMARY KEY,
    broadcast_id  TEXT NOT NULL REFERENCES broadcasts (id),
    reporter_id   TEXT NOT NULL REFERENCES users (id),
    reason        TEXT NOT NULL,
    status        INTEGER NOT NULL,               -- 1 open, 2 resolved (taken down), 3 dismissed
    created_at_ms INTEGER NOT NULL,
    closed_at_ms  INTEGER NULL,
    closed_by     TEXT NULL REFERENCES users (id),
    UNIQUE (broadcast_id, reporter_id)
);
CREATE INDEX ix_broadcast_reports_open ON broadcast_reports (status, created_at_ms);

-- Every decision on a broadcast: who (NULL: the scheduler), what, why, when.
CREATE TABLE broadcast_audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    broadcast_id TEXT NOT NULL REFERENCES broadcasts (id),
    actor_id     TEXT NULL REFERENCES users (id),
    action       TEXT NOT NULL,                   -- submitted, withdrawn, approved, rejected, expired, taken_down
    reason       TEXT NULL,
    at_ms        INTEGER NOT NULL
);
CREATE INDEX ix_broadcast_audit_broadcast ON broadcast_audit (broadcast_id, id);
