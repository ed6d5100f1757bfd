"""Near-duplicate articles (the same story from two feeds, a republished copy): MinHash over
word 5-shingles estimates the Jaccard similarity of two texts from 64 small numbers each."""

from __future__ import annotations

import hashlib
import random
import re

PERMUTATIONS = 64
SHINGLE_WORDS = 5
THRESHOLD = 0.8  # estimated Jaccard at or above which two articles are one story
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


_PRIME = (1 << 61) - 1
_RANDOM = random.Random(20241228)
# h_i(x) = (a_i * x + b_i) mod p: 64 independent-enough hash functions from one base hash
_COEFFICIENTS = [(_RANDOM.randrange(1, _PRIME), _RANDOM.randrange(_PRIME)) for _ in range(64)]


def signature(text: str) -> list[int]:
    """The minimum of each of 64 seeded hashes over the text's shingles."""
    grams = shingles(text)
    if not grams:
        return [0] * PERMUTATIONS
    bases = [
        int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little") for g in grams
    ]
    return [min((a * x + b) % _PRIME for x in bases) for a, b in _COEFFICIENTS]


def similarity(first: list[int], second: list[int]) -> float:
    """Share of equal minima: an unbiased estimate of the Jaccard similarity."""
    return sum(a == b for a, b in zip(first, second, strict=True)) / PERMUTATIONS
