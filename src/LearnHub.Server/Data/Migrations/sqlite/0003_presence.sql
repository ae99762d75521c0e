-- Live presence: each session's peak, its viewer count over time, and who watched for how long (while Live).

CREATE TABLE session_audience (
    session_id   TEXT PRIMARY KEY REFERENCES sessions (id),
    peak_viewers INTEGER NOT NULL,
    peak_at_ms   INTEGER NOT NULL      -- when the peak was first reached
) WITHOUT ROWID;

CREATE TABLE session_viewer_samples (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    at_ms      INTEGER NOT NULL,
    viewers    INTEGER NOT NULL,
    PRIMARY KEY (session_id, at_ms)
) WITHOUT ROWID;

-- One row per user who watched a session while it was Live; watched_ms grows with each flush.
CREATE TABLE session_attendance (
    session_id       TEXT NOT NULL REFERENCES sessions (id),
    user_id          TEXT NOT NULL REFERENCES users (id),
    first_watched_ms INTEGER NOT NULL,
    watched_ms       INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
) WITHOUT ROWID;
