"""Page metrics as the dashboard labels them: (Run column, label, unit)."""

PAGE_METRICS = (
    ("ttfb", "TTFB", "ms"),
    ("fcp", "FCP", "ms"),
    ("lcp", "LCP", "ms"),
    ("cls", "CLS", ""),
    ("tbt", "TBT", "ms"),
    ("dom_content_loaded", "DOM content loaded", "ms"),
    ("load", "Load", "ms"),
    ("fully_loaded", "Fully loaded", "ms"),
    ("requests", "Requests", ""),
    ("transfer_bytes", "Transfer", "B"),
    ("first_party_bytes", "First-party bytes", "B"),
    ("third_party_bytes", "Third-party bytes", "B"),
    ("third_party_requests", "Third-party requests", ""),
    ("third_party_blocking_ms", "Third-party blocking", "ms"),
)
