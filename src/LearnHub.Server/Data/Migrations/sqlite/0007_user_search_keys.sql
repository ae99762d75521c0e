-- Unicode-aware search of users (SearchCreators, the admin's ListUsers): SQLite's lower() and LIKE fold ASCII only, so
-- each user carries its handle and display name in SearchKey form (NFKC, lower-cased, ς → σ), written in C# with the
-- row. The migrator fills these for existing users in the same transaction (UserSearchKeys.BackfillAsync).
ALTER TABLE users ADD COLUMN handle_key TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN display_name_key TEXT NOT NULL DEFAULT '';
