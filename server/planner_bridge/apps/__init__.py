"""The runnable ASGI apps: the only modules that speak HTTP. The core below knows nothing of them."""
