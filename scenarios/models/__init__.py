"""Perfite's domain models, split by concept."""

from .alerts import Channel, EntityMapping, Incident, Notification, Threshold
from .ci import Comparison, Release
from .fleet import Agent, Location
from .graphite import GraphitePoint
from .load import LoadIteration, LoadSample, LoadShare, LoadTest
from .profile import ConnectionProfile, UnknownProfile, profile_choices, resolve_profile
from .run import Run, RunHost
from .scenario import Scenario

__all__ = [
    "Agent",
    "Channel",
    "Comparison",
    "ConnectionProfile",
    "EntityMapping",
    "GraphitePoint",
    "Incident",
    "LoadIteration",
    "LoadSample",
    "LoadShare",
    "LoadTest",
    "Location",
    "Notification",
    "Release",
    "Run",
    "RunHost",
    "Scenario",
    "Threshold",
    "UnknownProfile",
    "profile_choices",
    "resolve_profile",
]
