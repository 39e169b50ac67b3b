"""Scenario scripts (YAML steps or Given/When/Then): parse to steps, refuse with line and reason."""
