-- PostgreSQL twin of sqlite/0011_language_changes.sql.
-- A user's language enters the log of user changes too: every node keeps each caller's language with their access
-- (Identity/UserAccess.cs) to answer refusals in it, and drops it when the log says the user changed.

CREATE OR REPLACE FUNCTION learnhub_user_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO user_access_changes (user_id) VALUES (OLD.id);
        RETURN OLD;
    END IF;
    IF OLD.roles IS DISTINCT FROM NEW.roles OR OLD.active IS DISTINCT FROM NEW.active
       OR OLD.security_stamp IS DISTINCT FROM NEW.security_stamp OR OLD.time_zone IS DISTINCT FROM NEW.time_zone
       OR OLD.language IS DISTINCT FROM NEW.language THEN
        INSERT INTO user_access_changes (user_id) VALUES (NEW.id);
    END IF;
    RETURN NEW;
END;
$$;
