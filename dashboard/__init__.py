"""The server-rendered dashboard: scenarios, trends, runs, waterfalls and comparisons.

Pages read the server (``scenarios``) and take every label and unit from ``core.metrics``.
"""
