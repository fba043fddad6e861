"""The ground every layer stands on: the records and the database, settings, the clock, errors, the
audit trail and its witness, who may see a case, and the deadline policy. Nothing here imports a layer above."""
