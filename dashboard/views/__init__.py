"""Dashboard views, one module per page family; thin: permission check, query, render."""

from .account import tokens
from .compare import compare, comparison_cancel
from .edit import (
    scenario_create,
    scenario_edit,
    scenario_pause,
    scenario_run_now,
    scenario_try,
)
from .load import load_test, load_test_cancel, load_test_chart, load_tests
from .runs import run_detail, run_filmstrip_frame, run_har, run_screenshot, run_status
from .scenarios import scenario_detail, scenario_list, scenario_series

__all__ = [
    "compare",
    "comparison_cancel",
    "load_test",
    "load_test_cancel",
    "load_test_chart",
    "load_tests",
    "run_detail",
    "run_filmstrip_frame",
    "run_har",
    "run_screenshot",
    "run_status",
    "scenario_create",
    "scenario_detail",
    "scenario_edit",
    "scenario_list",
    "scenario_pause",
    "scenario_run_now",
    "scenario_series",
    "scenario_try",
    "tokens",
]
