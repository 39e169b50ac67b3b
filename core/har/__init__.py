"""HAR documents as plain data: per-request analysis, party/entity classification, sanitising."""
