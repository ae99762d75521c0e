-- PostgreSQL twin of sqlite/0003_presence.sql: same tables, columns and index names (a test compares them).
-- Live presence: each session's peak, its viewer count over time, and who watched for how long (while Live).

CREATE TABLE session_audience (
    session_id   text PRIMARY KEY REFERENCES sessions (id),
    peak_viewers bigint NOT NULL,
    peak_at_ms   bigint NOT NULL      -- when the peak was first reached
);

CREATE TABLE session_viewer_samples (
    session_id text NOT NULL REFERENCES sessions (id),
    at_ms      bigint NOT NULL,
    viewers    bigint NOT NULL,
    PRIMARY KEY (session_id, at_ms)
);

-- One row per user who watched a session while it was Live; watched_ms grows with each flush.
CREATE TABLE session_attendance (
    session_id       text NOT NULL REFERENCES sessions (id),
    user_id          text NOT NULL REFERENCES users (id),
    first_watched_ms bigint NOT NULL,
    watched_ms       bigint NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
