"""Scoring a dialog search query against a dialog's names (title, username, full name).

Texts and the query are compared after normalising them: case-folded, accents removed,
every run of punctuation, underscores and spaces turned into one space (so ``@crypto_bot``
and ``Crypto Bot`` compare equal). A dialog's score is the best score of its texts, in
0..1, by the first rule that applies:

=========  ====================================================================
1.0        the text equals the query
0.90–0.95  the text starts with the query
0.80–0.85  a word of the text starts with the query
0.70–0.75  the query occurs inside the text
0.60–0.65  every word of the query occurs in the text, in any order
0.00–0.59  mere similarity: 0.59 × difflib's ratio between the query and the most
           similar run of as many consecutive words of the text (or the whole text)
=========  ====================================================================

Within a band, the share of the text the query covers adds up to 0.05, so among texts
starting with "crypt" the shortest ranks first. A substring hit (≥ 0.6) therefore
always outranks mere similarity (< 0.6): "crypt" ranks "Crypto Traders" (0.92) above
"Krypto" (0.43). ``match=exact`` keeps only texts that contain the query (score ≥ 0.7).
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

EXACT = 1.0
PREFIX = 0.90
WORD_PREFIX = 0.80
SUBSTRING = 0.70
ALL_WORDS = 0.60
COVERAGE_BONUS = 0.05
SIMILARITY_WEIGHT = 0.59
#: the lowest score ``match=exact`` keeps (the query occurs in the text)
EXACT_MATCH_MIN = SUBSTRING
#: the default ``min_score`` of a fuzzy search: a ratio of about 0.76 (one typo in a
#: short word) still passes
DEFAULT_MIN_SCORE = 0.45

_SEPARATORS = re.compile(r"[\W_]+")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Case-folded, accent-free, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    normalized = _SEPARATORS.sub(" ", stripped).strip()
    # a query of emoji or punctuation only keeps its characters (compared as is)
    return normalized or " ".join(text.casefold().split())


class Scorer:
    """Scores texts against one query (normalised once)."""

    def __init__(self, query: str):
        self.query = normalize(query)
        self.words = self.query.split(" ")
        self._matcher = SequenceMatcher(autojunk=False)
        self._matcher.set_seq2(self.query)

    def best(self, texts: list[str | None], *, floor: float = 0.0) -> float:
        """The best score of the given texts (None texts are skipped); similarity is not
        computed for a text that cannot reach ``floor``."""
        best = 0.0
        for text in texts:
            if text:
                best = max(best, self.score(text, floor=max(floor, best)))
        return best

    def score(self, text: str, *, floor: float = 0.0) -> float:
        """The score of one text (see the module docstring)."""
        candidate = normalize(text)
        query = self.query
        coverage = COVERAGE_BONUS * len(query) / max(len(candidate), len(query))
        if candidate == query:
            return EXACT
        if candidate.startswith(query):
            return PREFIX + coverage
        position = candidate.find(query)
        if position > 0:
            at_word = candidate[position - 1] == " "
            return (WORD_PREFIX if at_word else SUBSTRING) + coverage
        words = candidate.split(" ")
        if len(self.words) > 1 and all(
            any(word in other for other in words) for word in self.words
        ):
            return ALL_WORDS + coverage
        if floor >= SIMILARITY_WEIGHT:
            return 0.0
        return SIMILARITY_WEIGHT * self._similarity(candidate, words, floor / SIMILARITY_WEIGHT)

    def _similarity(self, candidate: str, words: list[str], needed: float) -> float:
        """difflib's best ratio over the whole text and each run of len(query words)
        consecutive words; cheap upper bounds skip runs that cannot reach ``needed``."""
        size = len(self.words)
        runs = {candidate}
        runs.update(" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1)))
        matcher = self._matcher
        best = 0.0
        for run in runs:
            matcher.set_seq1(run)
            floor = max(best, needed)
            if matcher.real_quick_ratio() <= floor or matcher.quick_ratio() <= floor:
                continue
            best = max(best, matcher.ratio())
        return best
