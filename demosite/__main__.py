"""``python -m demosite [--port 8123] [--bind 127.0.0.1]``: serve the demo site until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Sequence

from demosite.server import DemoSite


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, print the home page URL, serve until interrupted; returns 0."""
    parser = argparse.ArgumentParser(
        prog="python -m demosite",
        description=(
            "Serve Perfite's multi-host demo site (www/static.example.localhost, "
            "ads.other.localhost, beacon.tracker.localhost) on one port. Chromium resolves "
            "*.localhost to the loopback address by itself."
        ),
    )
    parser.add_argument(
        "--port", type=int, default=8123, help="port to listen on; 0 picks a free one (8123)"
    )
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    args = parser.parse_args(argv)
    site = DemoSite(port=args.port, bind=args.bind).start()
    print(f"Demo site: {site.url()}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        site.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
