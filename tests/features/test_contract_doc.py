"""docs/data-contract.md is generated from the code and must stay in step with it."""

from pathlib import Path

from features.contract import TABLES
from features.contract_doc import render
from features.reference.licences import LICENCE_TYPES
from features.reference.record_types import RECORD_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


def test_committed_document_matches_the_code() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/data-contract.md is stale: run `ecr contract > docs/data-contract.md`"
    )


def test_document_names_every_column_and_record_type() -> None:
    text = render()
    for table in TABLES.values():
        assert f"## `{table.name}`" in text
        for column in table.column_names:
            assert f"| `{column}` |" in text
    for record_type in RECORD_TYPES:
        assert f"| `{record_type.code}` | {record_type.zh} |" in text
    for licence in LICENCE_TYPES:
        assert f"| `{licence.code}` | {licence.zh} |" in text


def test_arrow_schema_follows_the_columns() -> None:
    for table in TABLES.values():
        schema = table.arrow_schema()
        assert schema.names == table.column_names
        for column in table.columns:
            assert schema.field(column.name).nullable is not column.required
