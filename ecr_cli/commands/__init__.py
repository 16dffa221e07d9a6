"""The `ecr` commands, one module per area; each command calls the use cases and prints."""
