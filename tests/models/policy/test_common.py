"""Policy files are read strictly: UTF-8 only; each refusal is one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.policy.common import PolicyFileError
from models.policy.rules import RULES_FILE, load_rules


def test_a_file_not_in_utf8_names_the_encoding(tmp_path: Path) -> None:
    gbk = tmp_path / "rules.yaml"
    gbk.write_bytes(RULES_FILE.read_text("utf-8").encode("gbk"))
    with pytest.raises(PolicyFileError) as error:
        load_rules(gbk)
    assert str(error.value).startswith(f"{gbk}: not UTF-8 text (invalid byte 0x")
    assert str(error.value).endswith("); save the file as UTF-8")
