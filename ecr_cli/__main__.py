"""Allow `python -m ecr_cli`."""

from ecr_cli.main import app

app()
