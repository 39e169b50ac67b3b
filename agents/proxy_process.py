"""The address-policy proxy (agents.proxy) in a process of its own, and the agent's handle on it.

Why a process: in the agent's own process the proxy would share the interpreter lock with
Playwright's event handling, and every connection of a page would wait for it, the more so
the busier the page. On its own, the proxy only waits for the CPU.

``python -m agents.proxy_process`` speaks one line of JSON at a time on stdin/stdout:

- in: ``{"networks": [...], "hosts": [...], "dns": {host: address}}`` (the policy's
  settings entries and the browser's DNS map); out: ``{"port": <listening port>}``;
- in: ``take``; out: ``{"failures": [[host, port, reason], ...], "lookup_ms": {host: ms}}``,
  what happened since the last ``take`` (agents.proxy.PolicyProxy.take_report);
- end of input (the agent closed it, or died): the proxy stops.

It ignores SIGINT: a Ctrl-C to the agent's terminal reaches the whole process group, and the
agent stops its browsers first, then this process (by closing its input).
"""

import asyncio
import contextlib
import json
import select
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from agents.proxy import PolicyProxy, Report
from core.netpolicy import AddressPolicy

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 30.0  # a Python start on a busy machine
ANSWER_TIMEOUT_S = 10.0


class ProxyProcess:
    """A running proxy process enforcing ``policy`` with the DNS map ``dns``; ``port`` is
    where it listens. Used from one thread (the pool's)."""

    def __init__(self, policy: AddressPolicy, dns: Mapping[str, str] | None = None) -> None:
        self.policy = policy
        self.dns = dict(dns or {})
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> "ProxyProcess":
        """Start the process and wait until it listens. Raises RuntimeError when it cannot."""
        networks, hosts = self.policy.entries()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "agents.proxy_process"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        try:
            config = {"networks": networks, "hosts": hosts, "dns": self.dns}
            answer = self._ask(config, START_TIMEOUT_S)
            self.port = int(answer["port"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.close()
            raise RuntimeError(f"the address-policy proxy did not start: {exc}") from exc
        return self

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self._process is not None and self._process.poll() is None

    def take_report(self) -> Report:
        """What the proxy saw since the last call (agents.proxy.PolicyProxy.take_report); an
        empty report when the process is gone (its browser's runs fail with the browser's
        own proxy error then)."""
        try:
            answer = self._ask("take", ANSWER_TIMEOUT_S)
        except (OSError, ValueError):
            return Report()
        return Report(
            failures={(str(h), int(p)): str(reason) for h, p, reason in answer["failures"]},
            lookup_ms={str(host): float(ms) for host, ms in answer["lookup_ms"].items()},
        )

    def close(self) -> None:
        """End the process (closing its input; killing it if it does not go). Idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None and process.stdout is not None
        with contextlib.suppress(OSError):  # a process already gone
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()

    def _ask(self, message: object, timeout: float) -> Any:
        """Send ``message`` (a string as is, else as JSON) and return the decoded answer line.
        Raises OSError when the process is gone or silent for ``timeout`` seconds."""
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise OSError("the proxy process is not running")
        line = message if isinstance(message, str) else json.dumps(message)
        process.stdin.write(line.encode() + b"\n")
        process.stdin.flush()
        # One answer per question: nothing is left buffered, so the pipe tells when it comes.
        if not select.select([process.stdout], [], [], timeout)[0]:
            raise OSError(f"the proxy process did not answer within {timeout:g} s")
        answer = process.stdout.readline()
        if not answer:
            raise OSError(f"the proxy process exited with {process.wait()}")
        return json.loads(answer)


async def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)

    def say(value: object) -> None:
        stdout.write(json.dumps(value).encode() + b"\n")
        stdout.flush()

    config = json.loads(await reader.readline())
    policy = AddressPolicy.parse(config["networks"], config["hosts"])
    proxy = PolicyProxy(policy, config["dns"])
    say({"port": await proxy.start()})
    try:
        while line := await reader.readline():
            if line.strip() == b"take":
                report = proxy.take_report()
                failures = [[host, port, why] for (host, port), why in report.failures.items()]
                say({"failures": failures, "lookup_ms": report.lookup_ms})
    finally:
        await proxy.close()


def main() -> None:
    """Serve until stdin ends (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_serve(sys.stdin.buffer, sys.stdout.buffer))


if __name__ == "__main__":
    main()
