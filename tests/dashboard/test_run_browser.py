"""The run page of a browser that cannot measure everything: it names the browser, lists what
was not measured and why, and prints those metrics as absent ("—" and the reason), never 0."""

import re
from collections.abc import Callable

from django.test import Client

from core.result.absent import leave_out, unavailable
from scenarios.models import Run
from tests.factories import result_doc

FIREFOX = frozenset({"dns"})


def test_a_firefox_run_says_what_firefox_did_not_measure(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    doc = result_doc()
    doc.update(browser="firefox", browser_version="153.8.0")
    leave_out(doc, unavailable("Firefox", FIREFOX))
    run = make_run(doc)
    assert (run.tbt, run.cls, run.transfer_bytes, run.third_party_bytes) == (None,) * 4

    html = viewer_client.get(f"/runs/{run.pk}/").content.decode()
    assert '<span class="browser">firefox 153.8.0</span>' in html
    listed = re.search(r'<div class="hint" id="unavailable">.*?</div>', html, re.S)
    assert listed is not None
    assert re.findall(r"<li>([^<]+)</li>", listed.group(0)) == [
        "Firefox cannot measure bytes on the wire (headers and compression)",
        "Firefox cannot measure long tasks (so no blocking time)",
        "Firefox cannot measure layout shifts (so no CLS)",
        "Firefox cannot measure CPU and heap counters",
        "Firefox cannot measure a filmstrip (so no visual metrics)",
    ]
    tbt = re.search(r"<dt>TBT</dt><dd>([^<]*)</dd><dd><small[^>]*>([^<]+)<", html)
    assert tbt is not None and tbt.groups() == (
        "—",
        "Firefox cannot measure long tasks (so no blocking time)",
    )


def test_a_chromium_run_lists_nothing_missing(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    html = viewer_client.get(f"/runs/{make_run(result_doc()).pk}/").content.decode()
    assert 'id="unavailable"' not in html
