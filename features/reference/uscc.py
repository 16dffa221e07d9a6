"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

Layout of the 18 characters: registration authority (1), organisation type (1),
administrative division (6, GB/T 2260), organisation-code body (9, GB 11714, whose last
character is its own check digit) and the code's check character (1).

Functions come in two forms: scalar (one code, returns a reason or ``None``) for messages and
tests, and vectorised over NumPy arrays for ingesting tens of millions of rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
LENGTH = 18

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Byte -> alphabet value lookup (-1 = not in the alphabet), for the vectorised path.
_BYTE_VALUE = np.full(256, -1, dtype=np.int16)
for _ch, _v in _VALUE.items():
    _BYTE_VALUE[ord(_ch)] = _v
# Byte -> organisation-code value (digits 0-9, letters A=10 … Z=35), -1 otherwise.
_ORG_BYTE_VALUE = np.full(256, -1, dtype=np.int16)
for _i in range(10):
    _ORG_BYTE_VALUE[ord("0") + _i] = _i
for _i in range(26):
    _ORG_BYTE_VALUE[ord("A") + _i] = 10 + _i


def check_character(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a code."""
    if len(first17) != LENGTH - 1 or any(ch not in _VALUE for ch in first17):
        raise ValueError(f"expected 17 characters from {ALPHABET!r}, found {first17!r}")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_digit(body8: str) -> str:
    """Return the GB 11714 check digit for an 8-character organisation-code body."""
    values = [_ORG_BYTE_VALUE[ord(ch)] if ord(ch) < 256 else -1 for ch in body8]
    if len(body8) != 8 or min(values, default=-1) < 0:
        raise ValueError(f"expected 8 characters from 0-9A-Z, found {body8!r}")
    rest = 11 - sum(int(v) * w for v, w in zip(values, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(rest, str(rest))


def uscc_problem(code: str) -> str | None:
    """Describe what is wrong with ``code``, or return ``None`` when it is valid."""
    if len(code) != LENGTH:
        return f"{LENGTH} characters, found {len(code)}"
    bad = [ch for ch in code if ch not in _VALUE]
    if bad:
        return f"characters from {ALPHABET}, found {bad[0]!r}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character {expected!r}, found {code[17]!r}"
    body = code[8:16]
    if min(_ORG_BYTE_VALUE[ord(ch)] for ch in body) < 0:  # pragma: no cover - alphabet ⊂ 0-9A-Z
        return f"organisation-code body of 0-9A-Z, found {body!r}"
    expected_org = org_check_digit(body)
    if code[16] != expected_org:
        return f"organisation-code check digit {expected_org!r}, found {code[16]!r}"
    return None


def is_valid(code: str) -> bool:
    """True when ``code`` is a well-formed GB 32100 code with correct check characters."""
    return uscc_problem(code) is None


def check_codes(codes: pa.Array | pa.ChunkedArray | np.ndarray | list) -> np.ndarray:
    """Vectorised validity of many codes; returns a boolean array (True = valid).

    Works on the Arrow string buffer directly, so tens of millions of codes take seconds.
    """
    arr = codes if isinstance(codes, pa.Array | pa.ChunkedArray) else pa.array(codes, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.string())
    arr = arr.cast(pa.large_string())
    valid = np.zeros(len(arr), dtype=bool)
    right_length = pc.fill_null(pc.equal(pc.binary_length(arr), LENGTH), False)
    positions = np.flatnonzero(right_length.to_numpy(zero_copy_only=False))
    if positions.size == 0:
        return valid
    fixed = pc.take(arr, pa.array(positions))
    offsets = np.frombuffer(fixed.buffers()[1], np.int64)[
        fixed.offset : fixed.offset + len(fixed) + 1
    ]
    data = np.frombuffer(fixed.buffers()[2], np.uint8)
    matrix = data[offsets[0] : offsets[-1]].reshape(-1, LENGTH)
    values = _BYTE_VALUE[matrix]
    in_alphabet = (values >= 0).all(axis=1)
    total = (values[:, :17].astype(np.int64) * np.array(WEIGHTS)).sum(axis=1)
    check_ok = (31 - total % 31) % 31 == values[:, 17]
    org = _ORG_BYTE_VALUE[matrix[:, 8:16]].astype(np.int64)
    org_ok = matrix[:, 16] == _org_digit_bytes(org)
    valid[positions] = in_alphabet & check_ok & org_ok
    return valid


def _org_digit_bytes(org_values: np.ndarray) -> np.ndarray:
    """GB 11714 check digits (as ASCII bytes) for an (n, 8) matrix of body values."""
    rest = 11 - (org_values * np.array(ORG_WEIGHTS)).sum(axis=1) % 11
    return np.where(rest == 10, ord("X"), np.where(rest == 11, ord("0"), ord("0") + rest))


def compose(authority: str, org_type: str, division: str, body8: np.ndarray) -> np.ndarray:
    """Build valid codes from fixed prefix parts and an array of 8-character org bodies.

    ``division`` may be one 6-digit code or an array of them (one per body).
    """
    bodies = np.asarray(body8, dtype="S8")
    n = bodies.shape[0]
    divisions = np.broadcast_to(np.asarray(division, dtype="S6"), (n,))
    prefix = np.char.add(np.full(n, (authority + org_type).encode(), dtype="S2"), divisions)
    first16 = np.char.add(prefix, bodies)
    org = _ORG_BYTE_VALUE[np.frombuffer(bodies.tobytes(), np.uint8).reshape(n, 8)].astype(np.int64)
    first17 = np.char.add(first16, _org_digit_bytes(org).astype(np.uint8).view("S1"))
    m17 = np.frombuffer(first17.tobytes(), np.uint8).reshape(n, 17)
    total = (_BYTE_VALUE[m17].astype(np.int64) * np.array(WEIGHTS)).sum(axis=1)
    check = np.frombuffer(ALPHABET.encode(), np.uint8)[(31 - total % 31) % 31]
    return np.char.add(first17, check.view("S1")).astype(str)
