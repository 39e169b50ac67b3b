"""CI comparisons: the base/branch run workflow, releases and their reports."""
