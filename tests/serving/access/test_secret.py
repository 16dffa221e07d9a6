"""The server secret: created owner-only and atomically, refused when others may read it."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from serving.access import secret as secret_module
from serving.access.secret import SecretError, load_secret


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_created_owner_only_in_new_owner_only_folders(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "service.secret"
    secret = load_secret(path)
    assert mode(path) == 0o600
    assert mode(tmp_path / "deep") == 0o700 and mode(tmp_path / "deep" / "er") == 0o700
    assert len(secret) == 64 and bytes.fromhex(secret.decode())  # 32 random bytes as hex
    assert load_secret(path) == secret
    assert sorted(p.name for p in path.parent.iterdir()) == ["service.secret"]


def test_each_new_secret_is_random(tmp_path: Path) -> None:
    assert load_secret(tmp_path / "a") != load_secret(tmp_path / "b")


def test_value_given_wins_and_creates_no_file(tmp_path: Path) -> None:
    path = tmp_path / "service.secret"
    assert load_secret(path, "s" * 40) == b"s" * 40
    assert not path.exists()


def test_file_contents_and_value_give_the_same_secret(tmp_path: Path) -> None:
    path = tmp_path / "service.secret"
    from_file = load_secret(path)
    assert load_secret(tmp_path / "unused", path.read_text()) == from_file


@pytest.mark.parametrize("permissions", [0o640, 0o604, 0o620, 0o644])
def test_file_others_may_touch_is_refused(tmp_path: Path, permissions: int) -> None:
    path = tmp_path / "service.secret"
    load_secret(path)
    path.chmod(permissions)
    with pytest.raises(SecretError) as refused:
        load_secret(path)
    assert str(path) in str(refused.value) and f"{permissions:04o}" in str(refused.value)
    assert "0600" in str(refused.value)


@pytest.mark.parametrize("value", ["", "short", " " * 40])
def test_short_value_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(SecretError, match=r"ECR_SECRET .*: expected at least 32 characters"):
        load_secret(tmp_path / "service.secret", value)


def test_short_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "service.secret"
    path.write_text("abc\n")
    path.chmod(0o600)
    with pytest.raises(SecretError, match=f"{path}: expected at least 32 characters, found 3"):
        load_secret(path)


def test_loser_of_a_race_adopts_the_winners_secret(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process links its file in between this one's write and link."""
    path = tmp_path / "service.secret"
    real_link = os.link
    winner: list[bytes] = []

    def other_process_first(source: str, target: Path) -> None:
        monkeypatch.setattr(secret_module.os, "link", real_link)
        winner.append(load_secret(path))
        real_link(source, target)

    monkeypatch.setattr(secret_module.os, "link", other_process_first)
    assert load_secret(path) == winner[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["service.secret"]


def _load(path: str, start: Any, found: Any) -> None:
    start.wait()
    found.put(load_secret(Path(path)))


def test_concurrent_creators_end_with_one_secret(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    path = tmp_path / "service.secret"
    start, found = context.Barrier(4), context.Queue()
    creators = [context.Process(target=_load, args=(str(path), start, found))
                for _ in range(4)]
    for creator in creators:
        creator.start()
    secrets = {found.get(timeout=30) for _ in creators}
    for creator in creators:
        creator.join(timeout=30)
        assert creator.exitcode == 0
    assert secrets == {load_secret(path)}
    assert mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["service.secret"]
