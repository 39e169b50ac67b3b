"""Load tests, the pure part: what a plan says and how its users map to agents
(:mod:`core.load.plan`), what one iteration of a virtual user carries
(:mod:`core.load.iteration`), and the report per stage with its degradation curve
(:mod:`core.load.report`). No Django, no I/O."""
