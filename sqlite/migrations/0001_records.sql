-- One table holds every record: the Store is a key-value store of JSON
-- documents grouped by kind, so there is no per-type schema to migrate.
--
-- key is TEXT compared with the default BINARY collation (memcmp), which is
-- the byte order the Store contract promises. STRICT makes a key bound as a
-- BLOB an error instead of a row that sorts after every TEXT key.
CREATE TABLE records (
    kind  TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID, STRICT;
