"""Load tests on the server: refusing what may not run (start), stages shared among agents
and moved on (stages), the agents' claims and reports (shares), the report (report)."""
