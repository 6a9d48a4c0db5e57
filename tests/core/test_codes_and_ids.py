from __future__ import annotations

import time

import pytest

from smartlinks.codes import ALPHABET, generate_code, is_possible_code, is_reserved
from smartlinks.ids import new_id, uuid7, uuid7_time_ms


def test_generated_codes_are_seven_random_base62_characters() -> None:
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 7 and set(code) <= set(ALPHABET) for code in codes)
    # Random, not sequential: every position uses much of the alphabet.
    for position in range(7):
        assert len({code[position] for code in codes}) > 50


@pytest.mark.parametrize("code", ["abcd", "ABCD1234", "a1B2c3D4e5F6"])
def test_possible_codes(code: str) -> None:
    assert is_possible_code(code)


@pytest.mark.parametrize("code", ["abc", "abcdefghijklm", "ab-cd", "abcé", "ab cd", "", "abc\n"])
def test_impossible_codes(code: str) -> None:
    assert not is_possible_code(code)


def test_reserved_words_are_case_insensitive() -> None:
    assert is_reserved("api") and is_reserved("Dashboard") and is_reserved("HEALTHZ")
    assert not is_reserved("apple")


def test_ids_are_time_ordered_and_unique() -> None:
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5000
    assert all(len(value) == 32 for value in ids)
    value = uuid7()
    assert value.version == 7
    assert abs(uuid7_time_ms(value) - time.time() * 1000) < 1000
