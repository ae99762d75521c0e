-- Who may still act: deactivated accounts and security stamps, and a log of every change that bears on a user's access.
-- A token or console cookie carries the stamp it was issued under; raising the stamp (password reset, deactivation)
-- retires every earlier one. Roles are read from the row on every call, so they need no stamp.

ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;          -- 0: deactivated, cannot sign in or call
ALTER TABLE users ADD COLUMN security_stamp INTEGER NOT NULL DEFAULT 0;  -- raised to retire every issued token and cookie

-- Filled by triggers, so a change made any way at all (the API, the operator commands, plain SQL) is seen by every
-- node, which reads the rows past the last sequence it saw and drops those users from its access cache.
CREATE TABLE user_access_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL
);

CREATE TRIGGER tr_users_access_changed AFTER UPDATE OF roles, active, security_stamp ON users
WHEN OLD.roles IS NOT NEW.roles OR OLD.active IS NOT NEW.active OR OLD.security_stamp IS NOT NEW.security_stamp
BEGIN
    INSERT INTO user_access_changes (user_id) VALUES (NEW.id);
END;

CREATE TRIGGER tr_users_access_deleted AFTER DELETE ON users
BEGIN
    INSERT INTO user_access_changes (user_id) VALUES (OLD.id);
END;
