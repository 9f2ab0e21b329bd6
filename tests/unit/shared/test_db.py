from pymongo.errors import DuplicateKeyError, OperationFailure

from shared.db import is_duplicate_key, is_duplicate_key_error

FERRETDB_RACE = 'ERROR: duplicate key value violates unique constraint "seen_urls_pkey" (23505)'


def test_mongodbs_and_ferretdbs_duplicate_keys_are_told_as_such() -> None:
    assert is_duplicate_key(DuplicateKeyError("E11000 duplicate key error", 11000))
    assert is_duplicate_key(OperationFailure(FERRETDB_RACE, 1))
    assert is_duplicate_key_error({"code": 11000, "errmsg": "E11000 duplicate key error"})
    assert is_duplicate_key_error({"code": 1, "errmsg": FERRETDB_RACE})


def test_other_failures_of_ferretdbs_code_1_are_not_duplicates() -> None:
    away = "failed to connect to `host=127.0.0.1 user=pressroom database=postgres`"
    assert not is_duplicate_key(OperationFailure(away, 1))
    assert not is_duplicate_key_error({"code": 1, "errmsg": away})
    assert not is_duplicate_key_error({"code": 2, "errmsg": "BadValue"})
