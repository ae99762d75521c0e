-- PostgreSQL twin of sqlite/0006_user_access.sql: same tables, columns and index names (a test compares them).
-- Who may still act: deactivated accounts and security stamps, and a log of every change that bears on a user's access.

ALTER TABLE users ADD COLUMN active bigint NOT NULL DEFAULT 1;           -- 0: deactivated, cannot sign in or call
ALTER TABLE users ADD COLUMN security_stamp bigint NOT NULL DEFAULT 0;   -- raised to retire every issued token and cookie

-- Sequence numbers here are taken at insert, not at commit: readers look back over a margin (UserAccessChangeFeed).
CREATE TABLE user_access_changes (
    seq     bigserial PRIMARY KEY,
    user_id text NOT NULL
);

CREATE FUNCTION learnhub_user_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO user_access_changes (user_id) VALUES (OLD.id);
        RETURN OLD;
    END IF;
    IF OLD.roles IS DISTINCT FROM NEW.roles OR OLD.active IS DISTINCT FROM NEW.active
       OR OLD.security_stamp IS DISTINCT FROM NEW.security_stamp THEN
        INSERT INTO user_access_changes (user_id) VALUES (NEW.id);
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER tr_users_access_changed AFTER UPDATE OR DELETE ON users
FOR EACH ROW EXECUTE FUNCTION learnhub_user_access_changed();
