"""Pure helpers every other package may use: no process, no socket, no Docker.

Platforms, image references, semantic versions, VERSION/BUILD_TIME values,
Dockerfile stages, ELF headers, OCI layouts, retries and the error types.
"""
