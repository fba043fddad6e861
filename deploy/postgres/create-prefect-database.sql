-- Run once by the PostgreSQL image when its data volume is first created: the Prefect server keeps
-- its flow-run history in a database of its own, beside safeshare's (created from POSTGRES_DB).
CREATE DATABASE prefect OWNER safeshare;
