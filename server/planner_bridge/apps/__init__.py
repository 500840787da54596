"""The runnable ASGI apps: the only modules that speak HTTP; the core knows nothing of them."""
