-- PostgreSQL twin of sqlite/0007_user_search_keys.sql. lower() here follows the database's locale (ASCII only under
-- C), so the keys are written in C# on both engines and searched with plain LIKE.
ALTER TABLE users ADD COLUMN handle_key text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN display_name_key text NOT NULL DEFAULT '';
