-- PostgreSQL twin of sqlite/0011_language_changes.sql.
-- Refusals speak the caller's saved language, else their call's accept-language: a language the user chose is told
-- apart from the column's default (language_chosen), and a choice enters the log of user changes, so every node's
-- cached access (Identity/UserAccess.cs), which carries the language, is dropped when it changes.

ALTER TABLE users ADD COLUMN language_chosen bigint NOT NULL DEFAULT 0;
UPDATE users SET language_chosen = 1 WHERE language <> 'zh-CN';

CREATE OR REPLACE FUNCTION learnhub_user_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO user_access_changes (user_id) VALUES (OLD.id);
        RETURN OLD;
    END IF;
    IF OLD.roles IS DISTINCT FROM NEW.roles OR OLD.active IS DISTINCT FROM NEW.active
       OR OLD.security_stamp IS DISTINCT FROM NEW.security_stamp OR OLD.time_zone IS DISTINCT FROM NEW.time_zone
       OR OLD.language IS DISTINCT FROM NEW.language OR OLD.language_chosen IS DISTINCT FROM NEW.language_chosen THEN
        INSERT INTO user_access_changes (user_id) VALUES (NEW.id);
    END IF;
    RETURN NEW;
END;
$$;
