"""The life of a run on the server: dispatch, ingest, store, imports, retention, Graphite outbox,
backend series."""
