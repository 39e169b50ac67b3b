"""One actor's part of a run's stored HAR, gzipped, for download.

The stored HAR of a run with actors holds every actor's pages and entries, each tagged with
its ``_actor`` (core.har.actors). Its entries are read back one at a time
(scenarios.runs.har_spool) and only the actor's are written out, so an actor's HAR costs
one entry in memory, not the whole HAR. The stored HAR was sanitised when it was stored.
"""

import json
import secrets
import tempfile
import zlib
from typing import IO

from core.har.stream import Readable
from scenarios.runs.har_spool import GZIP_LEVEL, spool_upload


def actor_names(result: object) -> list[str]:
    """The actors of a result document, in order (empty: a run without actors)."""
    actors = result.get("actors") if isinstance(result, dict) else None
    if not isinstance(actors, list):
        return []
    return [str(a["name"]) for a in actors if isinstance(a, dict) and "name" in a]


def actor_har_file(stored: Readable, actor: str) -> IO[bytes]:
    """A temporary file (at its start) holding ``actor``'s part of the gzipped HAR
    ``stored``, gzipped: its pages and entries, the rest of the log as stored. Raises
    core.har.files.HarError when ``stored`` is not a HAR."""
    out = tempfile.TemporaryFile(prefix="perfite-actor-har-")  # noqa: SIM115 - the caller's
    try:
        with spool_upload(stored, gzipped=True) as har:
            log = dict(har.skeleton.get("log") or {})
            log["pages"] = [p for p in log.get("pages") or [] if _of(p, actor)]
            marker = f"perfite-entries-{secrets.token_hex(16)}"
            log["entries"] = marker
            text = json.dumps({**har.skeleton, "log": log}, separators=(",", ":"))
            before, after = text.split(json.dumps(marker))
            deflate = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            out.write(deflate.compress((before + "[").encode()))
            first = True
            for index in range(har.count):
                entry = har.entry(index)
                if _of(entry, actor):
                    data = ("" if first else ",") + json.dumps(entry, separators=(",", ":"))
                    out.write(deflate.compress(data.encode()))
                    first = False
            out.write(deflate.compress(("]" + after).encode()))
            out.write(deflate.flush())
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def _of(item: object, actor: str) -> bool:
    return isinstance(item, dict) and item.get("_actor") == actor
