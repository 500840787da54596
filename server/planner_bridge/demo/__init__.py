"""The demo shop: an integrator's side of the bridge (accounts, sessions, its back-end and page),
seeded on first run and served beside the planner origin by `planner-bridge demo`.

It uses the product like any shop would; nothing in the product imports it.
"""
