"""The CLI's commands, one module per command or command group (thin: they call the library)."""
