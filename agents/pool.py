"""The warm-browser pool: which browsers a process keeps, and the one thread driving them.

Playwright's sync API runs an event loop in the thread that started it, and Django refuses
ORM calls from such a thread (SynchronousOnlyOperation). So every Playwright call happens on
the pool's own thread; callers, which write to the database, stay on theirs.

A pool keeps one browser per distinct DNS map (Chromium applies ``--host-resolver-rules``
per browser process) and relaunches one that disconnected; after a crash, ``reset()`` stops
Playwright too, and the next run starts it afresh. Unless the address policy
(core.netpolicy, read from the settings when a browser is launched) allows everything, each
browser goes through its own address-policy proxy (agents.proxy, in a process of its own:
agents.proxy_process), which applies that DNS map itself and checks every connection. The
Playwright objects come from agents.browser, the one module importing Playwright; this
module decides when they are made, kept and closed.

``shared_pool()`` is the process's pool: the agent's task, ``manage.py measure`` and the test
suite all measure with it. It is closed at interpreter exit, and a forked child (a prefork
worker's) never uses its parent's: Playwright's thread and pipes do not survive a fork.
"""

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from django.conf import settings

from agents import browser as engine
from agents.engines import DEFAULT
from agents.proxy_process import ProxyProcess
from core.netpolicy import AddressPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")
_Job = tuple[Callable[..., Any], tuple[Any, ...], Future[Any]]


class BrowserPool:
    """Warm browsers for one process, keyed by DNS rule set, all driven from one thread.

    ``policy`` is the address policy its browsers enforce (default: the settings', read at
    each launch).
    """

    def __init__(
        self,
        executable_path: str = "",
        headless: bool = True,
        policy: AddressPolicy | None = None,
    ) -> None:
        self._explicit = executable_path
        self._headless = headless
        self._policy = policy
        # Touched only on the pool's thread.
        self._playwright: engine.Playwright | None = None
        self._browsers: dict[str, engine.Browser] = {}  # host-resolver rules -> browser
        self._proxies: dict[str, ProxyProcess] = {}  # host-resolver rules -> its proxy
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        # A daemon thread, not an executor's: executors refuse work once the interpreter
        # starts exiting, and close() at exit still needs this thread to stop Playwright.
        self._thread = threading.Thread(target=self._serve, name="playwright", daemon=True)
        self._thread.start()

    def call(self, func: Callable[..., T], *args: Any) -> T:
        """Run ``func(*args)`` on the pool's thread and return its result (or raise its error).
        Raises RuntimeError once the pool is closed."""
        if threading.current_thread() is self._thread:
            return func(*args)  # already there: queueing would wait for itself
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("this browser pool is closed")
            self._jobs.put((func, args, future))
        return future.result()

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            func, args, future = job
            try:
                future.set_result(func(*args))
            except BaseException as exc:  # handed to the caller, who raises it
                future.set_exception(exc)

    def browser(self, dns: dict[str, str] | None = None, name: str = DEFAULT) -> engine.Browser:
        """The warm ``name`` browser (an engine: agents.engines) resolving hosts by ``dns``
        (host -> address), launched on first use or when it disconnected. Only on the pool's
        thread (inside ``call``). Raises BrowserNotFound or InfrastructureError
        (agents.engines) when none can start."""
        rules = engine.pool_key(name, dns or {})
        browser = self._browsers.get(rules)
        proxy = self._proxies.get(rules)
        if browser is not None and browser.is_connected():
            if proxy is None or proxy.alive():
                return browser
            engine.shut_down([browser], None)  # its proxy died: both start afresh
        if self._playwright is None:
            self._playwright = engine.start_playwright()
        proxy = self._proxy_for(rules, dns or {})
        browser = engine.launch(
            self._playwright,
            name,
            dns or {},
            self._explicit if name == DEFAULT else "",
            self._headless,
            proxy_port=proxy.port if proxy is not None else None,
        )
        self._browsers[rules] = browser
        return browser

    def _proxy_for(self, rules: str, dns: dict[str, str]) -> ProxyProcess | None:
        """The running proxy a browser for ``dns`` is to use (started, or restarted when the
        policy changed or it died); None when the policy allows everything: no proxy, no
        check. Raises InfrastructureError when it cannot start."""
        policy = self._policy if self._policy is not None else AddressPolicy.from_settings(settings)
        proxy = self._proxies.get(rules)
        if proxy is not None and (
            policy.allows_everything or proxy.policy != policy or not proxy.alive()
        ):
            self._proxies.pop(rules).close()
            proxy = None
        if policy.allows_everything:
            return None
        if proxy is None:
            try:
                proxy = ProxyProcess(policy, dns).start()
            except RuntimeError as exc:
                raise engine.InfrastructureError(str(exc)) from exc
            self._proxies[rules] = proxy
        return proxy

    def proxy(self, dns: dict[str, str] | None = None, name: str = DEFAULT) -> ProxyProcess | None:
        """The proxy the browser for ``dns`` goes through; None when it has none (the policy
        allowed everything at its launch, or it was never launched). Only on the pool's
        thread, after ``browser(dns)``."""
        return self._proxies.get(engine.pool_key(name, dns or {}))

    @property
    def playwright(self) -> engine.Playwright | None:
        """The running Playwright (device descriptors live there); None before a browser."""
        return self._playwright

    def version(self) -> str:
        """The browser's version, launching it if needed (a way to warm the pool)."""
        return str(self.call(lambda: self.browser().version))

    def reset(self) -> None:
        """Close every browser and stop Playwright, whatever state a crash left them in; the
        next use starts both afresh."""
        self.call(self._shut_down)

    def close(self) -> None:
        """Close every browser, stop Playwright and the pool's thread; the pool cannot be used
        afterwards. Closing twice is harmless, and so is closing in a forked child, which
        has no thread (nor browser) of this pool."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if not self._thread.is_alive():
            return
        done: Future[None] = Future()
        self._jobs.put((self._shut_down, (), done))
        self._jobs.put(None)
        done.result()
        self._thread.join()

    def _shut_down(self) -> None:
        browsers, playwright = list(self._browsers.values()), self._playwright
        proxies = list(self._proxies.values())
        self._browsers.clear()
        self._proxies.clear()
        self._playwright = None
        try:
            engine.shut_down(browsers, playwright)
        except Exception as exc:  # a dead driver cannot be stopped twice; it is gone anyway
            log.warning("could not stop the browser cleanly: %s", exc)
        for proxy in proxies:  # after the browsers: nothing connects through them any more
            proxy.close()


_shared: BrowserPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> BrowserPool:
    """This process's pool, created on first use with ``PERFITE_BROWSER_PATH``."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = BrowserPool(settings.PERFITE_BROWSER_PATH)
        return _shared


def close_shared_pool() -> None:
    """Close this process's pool, if it has one; a later ``shared_pool()`` starts a new one."""
    global _shared
    with _shared_lock:
        pool, _shared = _shared, None
    if pool is not None:
        pool.close()


def _forget_parent_pool() -> None:
    """In a forked child: the parent's pool (and a lock another thread may have held at the
    fork) belong to the parent; the child starts its own on first use."""
    global _shared, _shared_lock
    _shared, _shared_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_parent_pool)
atexit.register(close_shared_pool)
