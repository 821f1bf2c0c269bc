"""Sentiment of Persian and English customer text: the API the Django app calls.

A ``SentimentModel`` holds one scikit-learn pipeline per language (the shipped base models, see
``DATA_CARD.md``) and, for a company that corrected labels, a small residual model and an exact
memory of the corrected texts (``train_company_model``). Each text is routed by its script,
scored as p(positive), and labelled with a neutral band: a text whose probability stays near 0.5
is neutral. Questions get a wider band because customers' questions are mostly neutral, while
in the training data (complaints about orders) they lean negative.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

import joblib
import numpy as np
from scipy import optimize, sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_union

from mehvar.text.errors import TextInputError, gettext_noop
from mehvar.text.normalise import model_text, normalise
from mehvar.text.pipelines import WORDS

__all__ = [
    "BASE_VERSION",
    "LABELS",
    "MODELS_DIR",
    "Label",
    "Sentiment",
    "SentimentModel",
    "analyse",
    "detect_language",
    "is_question",
    "label_for",
    "load_model",
    "train_company_model",
]

Label = Literal["positive", "neutral", "negative"]
LABELS: Final[tuple[Label, ...]] = ("positive", "neutral", "negative")
MODELS_DIR: Final = Path(__file__).parent / "models"
BASE_VERSION: Final = "base-2026.11"
LANGUAGES: Final = ("fa", "en")

NEUTRAL_BAND: Final = 0.2  # neutral when |p - 0.5| < this
QUESTION_BAND: Final = 0.45  # the same, for a text ending in «؟» or «?»
MIN_CORRECTIONS: Final = 10

_ARABIC_SCRIPT: Final = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_QUESTION: Final = re.compile(r"[?؟]\s*$")

TOO_FEW_LABELS = gettext_noop(
    "Retraining needs at least %(needed)d corrected labels with at least two different labels; "
    "got %(count)d with %(classes)d different."
)
UNKNOWN_LABEL = gettext_noop(
    "Unknown sentiment label %(label)r; use positive, neutral or negative."
)
LENGTH_MISMATCH = gettext_noop("Got %(texts)d texts but %(labels)d labels.")
NO_MODEL = gettext_noop("No sentiment model at %(path)s.")
BAD_MODEL = gettext_noop("Cannot load a sentiment model from %(path)s: %(reason)s")


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: Label
    score: float  # 2 * p(positive) - 1, in [-1, 1], rounded to 3 places
    language: str  # "fa" or "en"


def detect_language(text: str) -> str:
    """``"fa"`` when more than 30 % of the letters are Arabic-script, else ``"en"``.

    Text without letters (digits, emoji) counts as Persian: mehvar's customers write Persian.
    """
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return "fa"
    arabic = sum(1 for char in letters if _ARABIC_SCRIPT.match(char))
    return "fa" if arabic / len(letters) > 0.3 else "en"


def is_question(text: str) -> bool:
    return _QUESTION.search(text) is not None


def label_for(probability: float, *, question: bool = False) -> Label:
    """The three-way label of a positive probability, with the neutral band."""
    band = QUESTION_BAND if question else NEUTRAL_BAND
    if abs(probability - 0.5) < band:
        return "neutral"
    return "positive" if probability > 0.5 else "negative"


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class Residual:
    """A company's correction to a base model's logit, learned from its own labelled texts.

    ``logit = base_logit + features(text) · coef + intercept``: the base model's judgement is
    kept as a fixed offset (so a few dozen labels cannot unlearn Persian), and only the
    company's own vocabulary moves it. Fitted by ``_fit_residual``.
    """

    features: Any  # a fitted scikit-learn transformer (TF-IDF over the company's texts)
    coef: np.ndarray
    intercept: float

    def shift(self, texts: Sequence[str]) -> np.ndarray:
        matrix = self.features.transform([model_text(text) for text in texts])
        return np.asarray(matrix @ self.coef).ravel() + self.intercept


@dataclass
class SentimentModel:
    """Per-language pipelines plus, for a company model, residuals and a memory of corrections."""

    pipelines: dict[str, Any]
    version: str = BASE_VERSION
    residuals: dict[str, Residual] = field(default_factory=dict)
    memory: dict[str, Label] = field(default_factory=dict)  # normalised text → corrected label

    def _base_logits(self, texts: Sequence[str], languages: Sequence[str]) -> np.ndarray:
        logits = np.zeros(len(texts))
        for language in LANGUAGES:
            rows = [i for i, lang in enumerate(languages) if lang == language]
            if not rows:
                continue
            batch = [texts[i] for i in rows]
            probabilities = self.pipelines[language].predict_proba(batch)[:, 1]
            shifted = _logit(probabilities)
            residual = self.residuals.get(language)
            if residual is not None:
                shifted = shifted + residual.shift(batch)
            logits[rows] = shifted
        return logits

    def _probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        languages = [detect_language(text) for text in texts]
        present = [i for i, text in enumerate(texts) if text.strip()]
        probabilities = np.full(len(texts), 0.5)
        if present:
            logits = self._base_logits([texts[i] for i in present], [languages[i] for i in present])
            probabilities[present] = _sigmoid(logits)
        for i, text in enumerate(texts):
            remembered = self.memory.get(normalise(text)) if self.memory else None
            if remembered is not None:
                probabilities[i] = _agree(probabilities[i], remembered)
        return probabilities, languages

    def positive_probability(self, texts: Sequence[str]) -> list[float]:
        """p(positive) per text (0.5 for an empty one)."""
        return [float(p) for p in self._probabilities(texts)[0]]

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        probabilities, languages = self._probabilities(texts)
        results = []
        for text, p, language in zip(texts, probabilities, languages, strict=True):
            if not text.strip():
                results.append(Sentiment("neutral", 0.0, language))
                continue
            label = self.memory.get(normalise(text)) if self.memory else None
            label = label or label_for(float(p), question=is_question(text))
            results.append(Sentiment(label, round(2 * float(p) - 1, 3), language))
        return results

    def save(self, path: Path) -> None:
        """Write the whole model (pipelines included) as one compressed joblib file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)


def _agree(probability: float, label: Label) -> float:
    """Move a probability just inside the corrected label's region, so score and label agree."""
    low, high = 0.5 - NEUTRAL_BAND, 0.5 + NEUTRAL_BAND
    if label == "positive":
        return max(probability, high + 0.01)
    if label == "negative":
        return min(probability, low - 0.01)
    return min(max(probability, low + 0.01), high - 0.01)


def _unpickle(path: Path) -> Any:
    # Loading a pickle runs code from the file: only load models this installation wrote.
    if not path.exists():
        raise TextInputError(NO_MODEL, path=str(path))
    try:
        return joblib.load(path)
    except (OSError, EOFError, ValueError, KeyError, pickle.UnpicklingError) as error:
        reason = f"{type(error).__name__}: {error}"
        raise TextInputError(BAD_MODEL, path=str(path), reason=reason) from error


@lru_cache(maxsize=8)
def _load(path: Path, _version: float) -> SentimentModel:
    # ``_version`` (the file's modification time) is part of the cache key so that a model
    # saved again at the same path — the company's, after retraining — is read again.
    if path.is_dir():  # the shipped layout: one pipeline per language
        pipelines = {lang: _unpickle(path / f"sentiment-{lang}.joblib") for lang in LANGUAGES}
        return SentimentModel(pipelines)
    model = _unpickle(path)
    if not isinstance(model, SentimentModel):
        raise TextInputError(BAD_MODEL, path=str(path), reason=type(model).__name__)
    return model


def load_model(path: Path | None = None) -> SentimentModel:
    """The shipped base model (``None``), a model directory, or a saved company model.

    Cached per path and modification time: loading again is free until the file changes.
    """
    resolved = (path or MODELS_DIR).resolve()
    try:
        version = resolved.stat().st_mtime
    except OSError:
        version = 0.0  # missing: _load says so with its own message
    return _load(resolved, version)


def analyse(texts: Sequence[str], *, model: SentimentModel | None = None) -> list[Sentiment]:
    """Sentiment of each text, in order."""
    return (model or load_model()).predict(texts)


# --- company retraining -----------------------------------------------------------------------

_TARGET: Final[dict[str, float]] = {"positive": 1.0, "neutral": 0.5, "negative": 0.0}
_RESIDUAL_PENALTY: Final = 0.003  # L2 on the residual, per correction


def _company_features() -> Any:
    # Words and short character n-grams of the company's own texts (already ``model_text``).
    return make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=WORDS),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    )


def _fit_residual(texts: list[str], targets: np.ndarray, offsets: np.ndarray) -> Residual:
    """Logistic regression with a fixed offset (the base logit) and soft targets (neutral = ½).

    scikit-learn's LogisticRegression has neither offsets nor soft targets, and the problem is
    small (one row per correction), so it is solved directly with L-BFGS.
    """
    features = _company_features()
    matrix = sparse.csr_matrix(features.fit_transform([model_text(t) for t in texts]))
    n, width = matrix.shape
    penalty = _RESIDUAL_PENALTY * n

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        coef, intercept = params[:width], params[width]
        z = offsets + matrix @ coef + intercept
        # cross-entropy with soft targets, written stably: log(1 + e^z) - t z
        value = float(np.sum(np.logaddexp(0.0, z) - targets * z))
        value += 0.5 * penalty * float(coef @ coef + intercept * intercept)
        error = _sigmoid(z) - targets
        grad = np.append(matrix.T @ error + penalty * coef, error.sum() + penalty * intercept)
        return value, grad

    result = optimize.minimize(loss, np.zeros(width + 1), jac=True, method="L-BFGS-B")
    return Residual(features, result.x[:width], float(result.x[width]))


def train_company_model(
    texts: Sequence[str], labels: Sequence[str], *, base: SentimentModel | None = None
) -> SentimentModel:
    """A model for one company: the base model corrected by its staff's labels.

    Per language with enough corrections (``MIN_CORRECTIONS``), a residual on the base logit is
    learned from the corrected texts' words; every corrected text is also remembered exactly.
    Retraining a company model starts again from its base pipelines, so the corrections are
    always the full current set, never stacked on an earlier residual.
    """
    if len(texts) != len(labels):
        raise TextInputError(LENGTH_MISMATCH, texts=len(texts), labels=len(labels))
    for label in labels:
        if label not in _TARGET:
            raise TextInputError(UNKNOWN_LABEL, label=label)
    pairs = [(text, label) for text, label in zip(texts, labels, strict=True) if text.strip()]
    classes = len({label for _, label in pairs})
    if len(pairs) < MIN_CORRECTIONS or classes < 2:
        raise TextInputError(
            TOO_FEW_LABELS, needed=MIN_CORRECTIONS, count=len(pairs), classes=classes
        )
    base = base or load_model()
    plain = SentimentModel(base.pipelines, version=base.version)
    residuals = {}
    for language in LANGUAGES:
        chosen = [(t, lab) for t, lab in pairs if detect_language(t) == language]
        if len(chosen) < MIN_CORRECTIONS or len({lab for _, lab in chosen}) < 2:
            continue
        batch = [t for t, _ in chosen]
        offsets = plain._base_logits(batch, [language] * len(batch))
        targets = np.array([_TARGET[lab] for _, lab in chosen])
        residuals[language] = _fit_residual(batch, targets, offsets)
    memory: dict[str, Label] = {normalise(t): lab for t, lab in pairs}  # type: ignore[misc]
    today = datetime.now(UTC).date().isoformat()
    return SentimentModel(
        base.pipelines,
        version=f"company-{today}-n{len(pairs)}",
        residuals=residuals,
        memory=memory,
    )
