"""The ingest endpoint and a run's filmstrip: stored with the run when it is exactly the frames
the result lists; anything else is a 400 that stores nothing."""

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.visual.archive import pack
from scenarios.models import Run

from .test_ingest_endpoint import GOOD_HAR, JPEG, RESULT, agent_run, assert_nothing_stored, media

__all__ = ["agent_run", "media"]  # the fixtures, shared with the endpoint's other tests

FRAMES = {"frames": [{"ms": 0.0, "progress": 0.0}, {"ms": 95.0, "progress": 1.0}], "error": None}
WITH_FILMSTRIP = {**RESULT, "filmstrip": FRAMES}
FILM = pack([JPEG, JPEG[:-1]])


def post(run: Run, token: str, result: dict[str, Any], film: bytes | None) -> Any:
    data: dict[str, Any] = {
        "result": json.dumps(result),
        "har": SimpleUploadedFile("run.har.gz", GOOD_HAR, "application/gzip"),
    }
    if film is not None:
        data["filmstrip"] = SimpleUploadedFile("filmstrip.zip", film, "application/zip")
    return Client().post(f"/api/ingest/runs/{run.pk}/", data, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_filmstrip_is_stored_with_the_run(agent_run: tuple[Run, str], media: Path) -> None:
    run, token = agent_run

    assert post(run, token, WITH_FILMSTRIP, FILM).status_code == 201

    run.refresh_from_db()
    assert (run.filmstrip.name or "").endswith(f"run-{run.pk}.zip")
    assert run.filmstrip.read() == FILM
    assert run.result is not None and run.result["filmstrip"] == FRAMES


def _deflated() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("0.jpg", JPEG)
        archive.writestr("1.jpg", JPEG)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("result", "film", "reason"),
    [
        (WITH_FILMSTRIP, b"not a zip at all", "the filmstrip is not a readable zip archive"),
        (WITH_FILMSTRIP, pack([JPEG]), "the filmstrip must hold 0.jpg to 1.jpg"),
        (WITH_FILMSTRIP, pack([JPEG, b"GIF89a"]), "the filmstrip's 1.jpg is not a JPEG image"),
        (WITH_FILMSTRIP, _deflated(), "the filmstrip's frames must be stored, not compressed"),
        (WITH_FILMSTRIP, None, "the result lists 2 filmstrip frames but none came with it"),
        (RESULT, FILM, "a filmstrip came with a result that lists no filmstrip frame"),
        (
            {**RESULT, "filmstrip": {"frames": [{"ms": 5.0}, {"ms": 1.0}], "error": None}},
            FILM,
            "filmstrip: frames[1].ms must be a number from 5.0",
        ),
    ],
    ids=["not-zip", "too-few", "not-jpeg", "deflated", "missing", "unlisted", "out-of-order"],
)
def test_a_malformed_filmstrip_is_a_400_that_stores_nothing(
    agent_run: tuple[Run, str],
    media: Path,
    result: dict[str, Any],
    film: bytes | None,
    reason: str,
) -> None:
    run, token = agent_run

    response = post(run, token, result, film)

    assert response.status_code == 400
    assert response.json()["error"].startswith(reason)
    assert_nothing_stored(run, media)
    assert run.filmstrip.name == ""


def test_a_filmstrip_past_the_byte_bound_is_refused(
    agent_run: tuple[Run, str], media: Path, settings: Any
) -> None:
    settings.PERFITE_FILMSTRIP_MAX_BYTES = 2 * len(JPEG) - 2
    run, token = agent_run

    response = post(run, token, WITH_FILMSTRIP, FILM)

    assert (response.status_code, response.json()["error"]) == (
        400,
        f"the filmstrip's frames hold more than {2 * len(JPEG) - 2} bytes",
    )
    assert_nothing_stored(run, media)


def test_a_filmstrip_past_the_frame_bound_is_refused(
    agent_run: tuple[Run, str], media: Path, settings: Any
) -> None:
    settings.PERFITE_FILMSTRIP_MAX_FRAMES = 1
    run, token = agent_run

    response = post(run, token, WITH_FILMSTRIP, FILM)

    assert (response.status_code, response.json()["error"]) == (
        400,
        "the filmstrip has 2 frames, more than 1",
    )
    assert_nothing_stored(run, media)
