-- LearnHub's product tables. Instants are UTC Unix milliseconds (INTEGER); zones are IANA ids.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    handle        TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    roles         TEXT NOT NULL,      -- comma-separated subset of viewer,instructor,reviewer,admin
    time_zone     TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE courses (
    id            TEXT PRIMARY KEY,
    instructor_id TEXT NOT NULL REFERENCES users (id),
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX ix_courses_instructor ON courses (instructor_id, created_at_ms);

CREATE TABLE chapters (
    id        TEXT PRIMARY KEY,
    course_id TEXT NOT NULL REFERENCES courses (id),
    position  INTEGER NOT NULL,
    title     TEXT NOT NULL
);
CREATE INDEX ix_chapters_course ON chapters (course_id, position);

CREATE TABLE sessions (
    id                TEXT PRIMARY KEY,
    instructor_id     TEXT NOT NULL REFERENCES users (id),
    course_id         TEXT NULL REFERENCES courses (id),
    chapter_id        TEXT NULL REFERENCES chapters (id),
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    time_zone         TEXT NOT NULL,
    planned_start_ms  INTEGER NOT NULL,
    duration_minutes  INTEGER NOT NULL,
    planned_end_ms    INTEGER NOT NULL,
    status            INTEGER NOT NULL,  -- 1 Scheduled, 2 Live, 3 Ended, 4 Cancelled
    live_at_ms        INTEGER NULL,
    ended_at_ms       INTEGER NULL,
    cancel_reason     TEXT NULL,
    reservation_count INTEGER NOT NULL DEFAULT 0,
    version           INTEGER NOT NULL,
    -- The version whose Quartz triggers are written; the trigger reconciler re-syncs rows where it lags.
    triggers_version  INTEGER NOT NULL DEFAULT 0,
    request_id        TEXT NULL,
    created_at_ms     INTEGER NOT NULL,
    updated_at_ms     INTEGER NOT NULL
);
CREATE UNIQUE INDEX ux_sessions_request ON sessions (instructor_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX ix_sessions_instructor_start ON sessions (instructor_id, planned_start_ms);
CREATE INDEX ix_sessions_status_start ON sessions (status, planned_start_ms);
CREATE INDEX ix_sessions_course_start ON sessions (course_id, planned_start_ms);
CREATE INDEX ix_sessions_start ON sessions (planned_start_ms, id);
CREATE INDEX ix_sessions_triggers_pending ON sessions (id) WHERE triggers_version <> version;

CREATE TABLE reservations (
    session_id    TEXT NOT NULL REFERENCES sessions (id),
    user_id       TEXT NOT NULL REFERENCES users (id),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX ix_reservations_user ON reservations (user_id, created_at_ms);

CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    session_id       TEXT NOT NULL REFERENCES sessions (id),
    kind             INTEGER NOT NULL,  -- 1 reminder, 2 went live, 3 rescheduled, 4 cancelled
    -- What makes a notice unique per viewer: the start it reminds of, or the version it reports.
    occurrence       TEXT NOT NULL,
    session_title    TEXT NOT NULL,
    planned_start_ms INTEGER NOT NULL,
    text             TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    read_at_ms       INTEGER NULL,
    UNIQUE (user_id, session_id, kind, occurrence)
);
CREATE INDEX ix_notifications_user ON notifications (user_id, id);
