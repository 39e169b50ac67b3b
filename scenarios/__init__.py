"""The server (a Django app, label ``scenarios``): models, runs, alerts, CI comparisons, API.

Grouped by capability: ``runs`` (dispatch, ingest, store, imports, retention, Graphite
outbox), ``alerts``, ``ci``, ``api``, and ``roles`` (who may do what, for the dashboard and
the API alike). It uses ``core``; it never imports ``agents``.
"""
