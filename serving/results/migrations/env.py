"""Alembic environment: runs on the connection `serving.results.store` passes in, or on the
URL given to ``alembic -x url=…`` / ``sqlalchemy.url`` when run by hand."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from serving.results.schema import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        _migrate(connection)


def _migrate(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run()
