"""One seed for every randomised test in a run, printed, so a failure can be replayed:
`PRESSROOM_TEST_SEED=N make test` (or pytest) draws the same values again."""

from __future__ import annotations

import os
import random
from functools import cache

SEED_VARIABLE = "PRESSROOM_TEST_SEED"


@cache
def session_seed() -> int:
    """The run's seed: PRESSROOM_TEST_SEED when set, else a new one."""
    if given := os.environ.get(SEED_VARIABLE, "").strip():
        try:
            return int(given)
        except ValueError:
            raise ValueError(f"{SEED_VARIABLE} must be an integer, not {given!r}") from None
    return random.SystemRandom().randrange(2**32)


def seeded(*salt: object) -> random.Random:
    """A generator of its own for one use (the salt names it), drawn from the run's seed."""
    return random.Random(":".join(map(str, (session_seed(), *salt))))
