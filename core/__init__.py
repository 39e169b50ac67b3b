"""Perfite's pure core: no Django, no I/O; shared by the agents, the server and the dashboard.

It owns the vocabulary and the hard logic over plain data: the metric registry
(``core.metrics``), the measurement spec builder (``core.spec``), scenario scripts
(``core.script``), HAR analysis and sanitising (``core.har``), the result document
(``core.result``), statistics (``core.stats``) and the address policy (``core.netpolicy``).
Nothing here imports Django, Celery, Playwright or the database.
"""
