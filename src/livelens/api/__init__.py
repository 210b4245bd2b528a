"""The HTTP API: ingest, sessions, metrics, insights, comment analysis, the live push channel and
the live screen, behind token authentication. :func:`livelens.api.app.create_app` builds it."""
