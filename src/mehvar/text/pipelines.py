"""The scikit-learn pipelines behind the shipped models (Persian and English).

Both are a TF-IDF union of character n-grams (robust to spelling and morphology) and word
1–2-grams over the normalised text, plus a few dense lexicon scores, into a logistic regression
whose probabilities serve as the score. The choices (C, n-gram ranges) come from the measured
spike in ``docs/research/sentiment-options.md``. Every class and function here is importable by
name: the pickled models refer to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer

from mehvar.text.lexicon import LexiconFeatures
from mehvar.text.normalise import normalise_all

__all__ = ["VaderFeatures", "english_pipeline", "ngram_features", "persian_pipeline"]

PERSIAN_LEXICON_WEIGHT = 1.0
# Words of one letter count too («ن», «و» carry meaning in chat Persian); not a password.
WORDS = r"(?u)\b\w+\b"
ENGLISH_VADER_WEIGHT = 3.0


def ngram_features(*, min_df: int = 2) -> Pipeline:
    """Normalise, then char_wb 1–5 and word 1–2 TF-IDF side by side."""
    return make_pipeline(
        FunctionTransformer(normalise_all),
        make_union(
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True, min_df=min_df
            ),
            TfidfVectorizer(
                analyzer="word",
                ngram_range=(1, 2),
                sublinear_tf=True,
                token_pattern=WORDS,
            ),
        ),
    )


def persian_pipeline(lexicon_weight: float = PERSIAN_LEXICON_WEIGHT, c: float = 1.0) -> Pipeline:
    features: FeatureUnion = make_union(ngram_features(), LexiconFeatures(lexicon_weight))
    return make_pipeline(features, LogisticRegression(C=c, max_iter=3000))


@cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()  # reads the lexicon shipped inside the wheel, once


class VaderFeatures(BaseEstimator, TransformerMixin):
    """VADER's compound, positive and negative scores of the raw text, times ``weight``.

    VADER reads capitals and «!!!» as intensity, so it gets the text before normalisation.
    """

    def __init__(self, weight: float = ENGLISH_VADER_WEIGHT) -> None:
        self.weight = weight

    def fit(self, texts: Sequence[str], y: Any = None) -> VaderFeatures:
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        analyser = _vader()
        rows = [
            [scores["compound"], scores["pos"], scores["neg"]]
            for scores in (analyser.polarity_scores(text) for text in texts)
        ]
        matrix = np.array(rows, dtype=float).reshape(len(texts), 3)
        return sparse.csr_matrix(matrix * self.weight)


def english_pipeline(vader_weight: float = ENGLISH_VADER_WEIGHT, c: float = 4.0) -> Pipeline:
    features: FeatureUnion = make_union(ngram_features(), VaderFeatures(vader_weight))
    classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    return make_pipeline(features, classifier)
