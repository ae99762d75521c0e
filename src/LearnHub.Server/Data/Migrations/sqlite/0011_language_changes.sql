-- A user's language enters the log of user changes too: every node keeps each caller's language with their access
-- (Identity/UserAccess.cs) to answer refusals in it, and drops it when the log says the user changed.

DROP TRIGGER tr_users_access_changed;

CREATE TRIGGER tr_users_access_changed AFTER UPDATE OF roles, active, security_stamp, time_zone, language ON users
WHEN OLD.roles IS NOT NEW.roles OR OLD.active IS NOT NEW.active OR OLD.security_stamp IS NOT NEW.security_stamp
    OR OLD.time_zone IS NOT NEW.time_zone OR OLD.language IS NOT NEW.language
BEGIN
    INSERT INTO user_access_changes (user_id) VALUES (NEW.id);
END;
