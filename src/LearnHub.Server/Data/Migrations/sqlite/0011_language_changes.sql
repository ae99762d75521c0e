-- Refusals speak the caller's saved language, else their call's accept-language: a language the user chose is told
-- apart from the column's default (language_chosen), and a choice enters the log of user changes, so every node's
-- cached access (Identity/UserAccess.cs), which carries the language, is dropped when it changes.

ALTER TABLE users ADD COLUMN language_chosen INTEGER NOT NULL DEFAULT 0;
UPDATE users SET language_chosen = 1 WHERE language <> 'zh-CN';

DROP TRIGGER tr_users_access_changed;

CREATE TRIGGER tr_users_access_changed AFTER UPDATE OF roles, active, security_stamp, time_zone, language, language_chosen ON users
WHEN OLD.roles IS NOT NEW.roles OR OLD.active IS NOT NEW.active OR OLD.security_stamp IS NOT NEW.security_stamp
    OR OLD.time_zone IS NOT NEW.time_zone OR OLD.language IS NOT NEW.language OR OLD.language_chosen IS NOT NEW.language_chosen
BEGIN
    INSERT INTO user_access_changes (user_id) VALUES (NEW.id);
END;
