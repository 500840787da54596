"""(stub) `planner-bridge api-token ...`."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any, parent: argparse.ArgumentParser) -> None:
    return None
