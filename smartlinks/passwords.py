"""Link passwords as slow hashes: Argon2id through argon2-cffi.

The parameters are OWASP's minimum for Argon2id (19 MiB, two passes, one lane): a guess
costs ~20-40 ms of one core here, which is what makes a stolen hash expensive to attack and
why both calls belong in a worker thread, never on an event loop. The hash string carries
its parameters, so raising them later keeps old hashes verifiable.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MAX_PASSWORD_LENGTH = 128

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, guess: str) -> bool:
    try:
        return _hasher.verify(password_hash, guess)
    except (VerificationError, InvalidHashError):
        return False
