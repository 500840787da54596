"""planner-bridge: token service, planner web services and host SDK for an embedded planner."""

__version__ = "0.1.0"
