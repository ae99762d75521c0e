-- A user's time zone enters the log of user changes too: every node caches each caller's zone for 直播推荐
-- (Sessions/SessionReadCache.cs) and drops it when the log says the user changed, as it drops their access.

DROP TRIGGER tr_users_access_changed;

CREATE TRIGGER tr_users_access_changed AFTER UPDATE OF roles, active, security_stamp, time_zone ON users
WHEN OLD.roles IS NOT NEW.roles OR OLD.active IS NOT NEW.active OR OLD.security_stamp IS NOT NEW.security_stamp
    OR OLD.time_zone IS NOT NEW.time_zone
BEGIN
    INSERT INTO user_access_changes (user_id) VALUES (NEW.id);
END;
