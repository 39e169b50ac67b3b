"""Which browsers an agent finds, and the one line it says for each it cannot drive.

Uses fake executables and a fake Playwright download folder, so the answer does not depend on
what this machine has installed.
"""

import json
import os
from pathlib import Path

import pytest
from django.test import override_settings

from agents.engines import BrowserNotFound, installed, missing, playwright_build
from agents.engines import firefox as firefox_engine


def fake(tmp_path: Path, name: str, prints: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\necho '{prints}'\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def no_downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "ms-playwright"
    cache.mkdir()
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(cache))
    return cache


def test_an_agent_announces_the_browsers_it_finds_with_their_versions(
    tmp_path: Path, no_downloads: Path
) -> None:
    chromium = fake(tmp_path, "chromium", "Chromium 156.0.8078.108 built on Debian")
    firefox = fake(tmp_path, "firefox", "Mozilla Firefox 153.8.0esr")
    with override_settings(PERFITE_BROWSER_PATH=chromium, PERFITE_FIREFOX_PATH=firefox):
        assert installed() == {"chromium": "156.0.8078.108", "firefox": "153.8.0"}
        assert missing() == {
            "webkit": "No WebKit: only Playwright's own build can be driven; run "
            "`python -m playwright install --with-deps webkit` on a machine that can download it."
        }
        with override_settings(PERFITE_BROWSERS=["firefox"]):
            assert installed() == {"firefox": "153.8.0"}
            assert missing() == {}


def test_a_firefox_too_old_for_webdriver_bidi_is_refused_with_the_reason(
    tmp_path: Path, no_downloads: Path
) -> None:
    old = fake(tmp_path, "firefox", "Mozilla Firefox 115.12.0esr")
    with pytest.raises(BrowserNotFound) as raised:
        firefox_engine.find_firefox(old)
    assert str(raised.value) == (
        f"{old} is Firefox 115.12.0: driving it needs Firefox 138 or later (WebDriver BiDi)"
    )
    with override_settings(PERFITE_FIREFOX_PATH=old, PERFITE_BROWSERS=["firefox"]):
        assert installed() == {}
        assert missing() == {"firefox": str(raised.value)}


def test_playwrights_own_build_is_found_in_its_download_folder(no_downloads: Path) -> None:
    import playwright

    listing = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    webkit = {b["name"]: b for b in json.loads(listing.read_text())["browsers"]}["webkit"]
    assert playwright_build("webkit") is None
    os.mkdir(no_downloads / f"webkit-{webkit['revision']}")
    assert playwright_build("webkit") == webkit["browserVersion"]
