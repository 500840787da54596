"""The browser code (planner app, host SDK, demo shop pages), shipped inside the Python package.

This directory stays at the top of the repository for front-end work, and setuptools maps it to
`planner_bridge.web` (pyproject.toml), so the server finds its files with importlib.resources
whether installed from a wheel or editable.
"""
