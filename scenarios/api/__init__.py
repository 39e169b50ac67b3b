"""The REST API for CI pipelines and scripts: DRF viewsets under /api/ (token auth)."""
