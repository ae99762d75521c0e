-- SearchCreators lists certified creators only: they are few, so a partial index keeps the search off the other users.
CREATE INDEX ix_users_certified ON users (follower_count DESC) WHERE certified = 1;
