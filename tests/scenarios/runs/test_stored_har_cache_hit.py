"""A stored HAR with a memory-cache hit (Firefox reports them): the requests are repaired with
the run's numbers, and the hit is kept as it came, last. Pure (no database, no browser)."""

import gzip
import io
import json

from core.har.analyse import analyse_entries
from scenarios.runs.har_spool import spool_document, write_stored_har
from tests.core.result.test_absent import entry


def test_the_requests_are_repaired_and_the_cache_hit_kept_as_it_came() -> None:
    first = entry("http://www.example.com/hero.png", "100")
    hit = entry("http://www.example.com/hero.png", "300", body=0, wait=-1)
    last = entry("http://www.example.com/app.js", "200")
    har = {"log": {"version": "1.2", "pages": [], "entries": [first, hit, last]}}
    records = analyse_entries(har, page_url="http://www.example.com/")
    for record in records:
        record["transfer_bytes"] = None  # a browser that cannot count wire bytes
    out = io.BytesIO()
    write_stored_har(spool_document(har), records, [], out)
    stored = json.loads(gzip.decompress(out.getvalue()))["log"]["entries"]
    assert [(e["startedDateTime"][-4:], e["response"]["_transferSize"]) for e in stored] == [
        ("100Z", -1),
        ("200Z", -1),
        ("300Z", 0),
    ]
