-- PostgreSQL twin of sqlite/0010_time_zone_changes.sql.
-- A user's time zone enters the log of user changes too: every node caches each caller's zone for 直播推荐
-- (Sessions/SessionReadCache.cs) and drops it when the log says the user changed, as it drops their access.

CREATE OR REPLACE FUNCTION learnhub_user_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO user_access_changes (user_id) VALUES (OLD.id);
        RETURN OLD;
    END IF;
    IF OLD.roles IS DISTINCT FROM NEW.roles OR OLD.active IS DISTINCT FROM NEW.active
       OR OLD.security_stamp IS DISTINCT FROM NEW.security_stamp OR OLD.time_zone IS DISTINCT FROM NEW.time_zone THEN
        INSERT INTO user_access_changes (user_id) VALUES (NEW.id);
    END IF;
    RETURN NEW;
END;
$$;
