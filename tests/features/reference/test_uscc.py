"""GB 32100 codes: the published examples and every single-character corruption."""

import numpy as np
import pytest

from features.reference import uscc

VALID = ["91350200776049653A", "91350500798359476R", "913502000728319549"]


@pytest.mark.parametrize("code", VALID)
def test_published_examples_are_valid(code: str) -> None:
    assert uscc.uscc_problem(code) is None
    assert uscc.check_character(code[:17]) == code[17]
    assert uscc.check_codes([code]).tolist() == [True]


@pytest.mark.parametrize("code", VALID)
def test_every_single_character_substitution_is_caught(code: str) -> None:
    corrupted = [
        code[:i] + ch + code[i + 1 :]
        for i in range(len(code))
        for ch in uscc.ALPHABET
        if ch != code[i]
    ]
    assert not any(uscc.is_valid(c) for c in corrupted)
    assert not uscc.check_codes(corrupted).any()


def test_check_character_mismatch_names_expected_and_found() -> None:
    assert uscc.uscc_problem("91350200776049653B") == "check character 'A', found 'B'"


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("9135020077604965", "18 characters, found 16"),
        ("91350200776049653I", "characters from 0123456789ABCDEFGHJKLMNPQRTUWXY, found 'I'"),
        ("91350200776049653a", "characters from 0123456789ABCDEFGHJKLMNPQRTUWXY, found 'a'"),
    ],
)
def test_shape_problems(code: str, problem: str) -> None:
    assert uscc.uscc_problem(code) == problem


def test_organisation_code_check_digit_is_enforced() -> None:
    # Change the body's check digit and recompute the final character: only the body is wrong.
    first16 = VALID[0][:16]
    wrong_digit = "4" if VALID[0][16] != "4" else "5"
    code = first16 + wrong_digit + uscc.check_character(first16 + wrong_digit)
    assert uscc.uscc_problem(code) == f"organisation-code check digit '3', found '{wrong_digit}'"
    assert not uscc.check_codes([code])[0]


def test_vectorised_matches_scalar_on_mixed_input() -> None:
    codes = [*VALID, "91350200776049653B", None, "", "短", "91350200776049653Aextra"]
    expected = [isinstance(c, str) and uscc.is_valid(c) for c in codes]
    assert uscc.check_codes(codes).tolist() == expected


def test_compose_builds_valid_codes() -> None:
    rng = np.random.default_rng(0)
    alphabet = np.array(list(uscc.ALPHABET))
    bodies = ["".join(row) for row in rng.choice(alphabet, size=(500, 8))]
    codes = uscc.compose("9", "1", "410100", np.array(bodies))
    assert all(uscc.is_valid(c) for c in codes)
    assert all(c.startswith("91410100") for c in codes)
