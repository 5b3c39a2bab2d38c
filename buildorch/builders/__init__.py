"""The builders capability: buildx builders declared in configuration (remote BuildKit nodes with TLS,
kubernetes...), created idempotently, checked node by node, and asked which node built which platform.
"""
