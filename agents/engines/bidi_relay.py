"""Run a distribution's Firefox for Playwright, relaying its WebDriver BiDi socket.

Usage (Playwright runs it as the browser's executable): ``python -m
agents.engines.bidi_relay FIREFOX [FIREFOX ARGUMENTS…]``.

Playwright's ``moz-firefox`` channel starts Firefox with ``--remote-debugging-port=0`` and
reads the address of its BiDi socket from the line Firefox prints (``WebDriver BiDi
listening on ws://…``). Playwright 1.65 sends one command that Firefox ESR 153 does not know
yet, ``emulation.setMediaFeaturesOverride`` (on every new context, to set
``prefers-color-scheme``), and the context then fails to open. This program starts Firefox,
prints the address of a relay of its own instead, and passes every message both ways
unchanged except that one command: with no colour scheme asked for (or ``light``, which
headless Firefox already reports) it answers success itself; for any other value it answers
an error naming the browser, so a scenario asking for a dark page fails clearly rather than
being measured light. Everything else Firefox prints goes to standard error as it came.

When Firefox exits the relay exits with its status; a signal to the relay is passed on.
"""

import asyncio
import functools
import json
import re
import signal
import sys
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

LISTENING = re.compile(r"WebDriver BiDi listening on (ws://\S+)")
UNKNOWN_COMMAND = "emulation.setMediaFeaturesOverride"
ALREADY = (None, "light")  # what headless Firefox reports without any emulation


def answer(message: str | bytes) -> str | None:
    """The relay's own reply to a message Playwright sends, or None to pass it to Firefox."""
    if UNKNOWN_COMMAND not in (message if isinstance(message, str) else message.decode()):
        return None
    try:
        command = json.loads(message)
    except ValueError:
        return None
    if command.get("method") != UNKNOWN_COMMAND:
        return None
    features: dict[str, Any] = (command.get("params") or {}).get("features") or {}
    asked = {name: value for name, value in features.items() if value not in ALREADY}
    if not asked:
        return json.dumps({"type": "success", "id": command.get("id"), "result": {}})
    wanted = ", ".join(f"{name}: {value}" for name, value in sorted(asked.items()))
    return json.dumps(
        {
            "type": "error",
            "id": command.get("id"),
            "error": "unsupported operation",
            "message": f"this Firefox cannot emulate media features ({wanted})",
        }
    )


async def _pump_to_firefox(client: ServerConnection, upstream: ClientConnection) -> None:
    async for message in client:
        reply = answer(message)
        if reply is None:
            await upstream.send(message)
        else:
            await client.send(reply)


async def _pump_to_client(client: ServerConnection, upstream: ClientConnection) -> None:
    async for message in upstream:
        await client.send(message)


async def _relay(client: ServerConnection, target: str) -> None:
    path = client.request.path if client.request is not None else ""
    try:
        async with connect(target + path, max_size=None, ping_interval=None) as upstream:
            done, pending = await asyncio.wait(
                [
                    asyncio.ensure_future(_pump_to_firefox(client, upstream)),
                    asyncio.ensure_future(_pump_to_client(client, upstream)),
                ],
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in pending:
                task.cancel()
            for task in done:
                if (exc := task.exception()) and not isinstance(exc, ConnectionClosed):
                    raise exc
    except (ConnectionClosed, OSError):
        pass
    finally:
        await client.close()


async def run(firefox: str, args: list[str]) -> int:
    process = await asyncio.create_subprocess_exec(
        firefox, *args, stdout=sys.stdout.fileno(), stderr=asyncio.subprocess.PIPE
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, _forward, process, sig)
    assert process.stderr is not None
    server = None
    while line := await process.stderr.readline():
        text = line.decode(errors="replace")
        match = LISTENING.search(text)
        if match and server is None:
            target = match.group(1).rstrip("/")
            server = await serve(
                functools.partial(_relay, target=target),
                "127.0.0.1",
                0,
                max_size=None,
                ping_interval=None,
            )
            port = next(iter(server.sockets)).getsockname()[1]
            text = text.replace(match.group(1), f"ws://127.0.0.1:{port}")
        sys.stderr.write(text)
        sys.stderr.flush()
    status = await process.wait()
    if server is not None:
        server.close()
    return status


def _forward(process: asyncio.subprocess.Process, sig: int) -> None:
    if process.returncode is None:
        process.send_signal(sig)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    return asyncio.run(run(argv[1], argv[2:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
