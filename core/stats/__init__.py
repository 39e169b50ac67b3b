"""Statistics over plain numbers: verdicts, budgets, attribution, correlation and change points."""
