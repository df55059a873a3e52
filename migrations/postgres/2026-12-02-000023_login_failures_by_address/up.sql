-- Failed sign-ins are counted per account and address: someone guessing from one place locks
-- that place out of the account, not the account's owner signing in from theirs (a lock on the
-- account alone let anyone keep it locked with one guess an hour). `users.locked_until` still
-- shows administrators the latest lock.
CREATE TABLE login_failures (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL,
    locked_until TIMESTAMP,
    PRIMARY KEY (user_id, address)
);
