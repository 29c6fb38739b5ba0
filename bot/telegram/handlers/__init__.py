"""The handlers by feature: each parses, calls a service and renders."""
