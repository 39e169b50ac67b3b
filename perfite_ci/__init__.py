"""perfite-ci: ask a Perfite server whether a build is slower than its base (stdlib only)."""

__version__ = "0.1.0"
