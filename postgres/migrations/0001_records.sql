-- One table holds every record: the Store is a key-value store of JSON
-- documents grouped by kind, so there is no per-type schema to migrate.
--
-- key is bytea: keys are byte strings (any byte but NUL, not necessarily
-- valid UTF-8), and bytea compares with memcmp, which is the byte order the
-- Store contract promises, whatever the database's collation. kind uses the
-- "C" collation: it is only ever compared for equality, and C is the cheapest
-- deterministic collation.
CREATE TABLE records (
    kind  text COLLATE "C" NOT NULL,
    key   bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (kind, key)
);
