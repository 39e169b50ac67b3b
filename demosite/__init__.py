"""Perfite's multi-host demo site: first-party HTML and static assets, a render-blocking
third-party ad, an async tracker beacon, a search API, a WebSocket echo (delayed by
``?echo_delay=``), and the pages the named metrics are tested on: user timings
(``/timings``), a chat client with its API (``/chat``, ``/api/init``, ``/api/chats``,
``/api/messages``) and JavaScript memory (``/memory``), and a support chat of two pages
(``/support/operator``, ``/support/visitor``) talking through a WebSocket relay (``/relay``)
that holds each message ``?relay_delay=`` ms before the other party gets it. All served by
one loopback HTTP/1.1 server that routes on the Host header. Two pages serve the lab
conditions' tests: ``/photo?bytes=N`` shows one undecodable photo of exactly N bytes
(``static…/photo.jpg?bytes=N``), ``/busy?rounds=N`` runs N rounds of arithmetic on the
main thread and keeps their in-page duration in ``window.__demoBusy.ms``. ``/crowded?work=W``
(a blank page) takes W ms of server time alone and about N × W ms when N requests share the
server's processor (``demosite.processor``): load tests show their growth on it.

``DemoSite().start()`` serves it in a daemon thread (tests); ``python -m demosite`` serves
it in the foreground (the demo scenario). Byte sizes of every body are in
``demosite.content``.
"""

from demosite.server import DemoSite, Served

__all__ = ["DemoSite", "Served"]
