"""Re-train the shipped sentiment models and write their metrics (a development tool).

    python -m mehvar.text.train --snappfood ../shared/data/snappfood-dev/dev.tsv \\
        --alexa ../shared/data/amazon-alexa/amazon_alexa.tsv --out-dir src/mehvar/text/models

Fixed seeds throughout. A stratified 20 % of each file (seed 0) is held out and never trained
on; the shipped models are fitted on the other 80 %. Five-fold CV on the 80 % gives the spread.
The hand-written evaluation sets in ``data/`` are scored with the final models. Everything
measured goes to ``metrics.json``, with the source files' sha256 so a re-run can be checked.

This script reads the data with pandas, a development dependency; the runtime modules never
import it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import platform
import time
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # dev-only; no stubs installed
import sklearn
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from mehvar.text import lexicon
from mehvar.text.pipelines import (
    ENGLISH_VADER_WEIGHT,
    PERSIAN_LEXICON_WEIGHT,
    english_pipeline,
    persian_pipeline,
)
from mehvar.text.sentiment import BASE_VERSION, SentimentModel, is_question, label_for

SEED = 0
HOLDOUT = 0.2
DATA_DIR = Path(__file__).parent / "data"  # hand-written evaluation sets
TRAINING_DIR = Path(__file__).parent / "training"  # hand-written training sentences
# How many dataset rows one hand-written sentence counts for. They are few, and they carry the
# general customer-service vocabulary that one food-delivery set and one smart-speaker set lack.
# Persian has 391 polar sentences against 5,040 SnappFood rows: at weight 2 they cost at most
# 0.002 in-domain (at 5 they cost 0.011). English has 247 against 2,456 Alexa rows.
HANDWRITTEN_WEIGHT = {"fa": 2.0, "en": 5.0}
# A neutral hand-written sentence enters once per label, each with half the polar weight.
NEUTRAL_WEIGHT = {language: weight / 2 for language, weight in HANDWRITTEN_WEIGHT.items()}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def binary_scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    predicted = (p >= 0.5).astype(int)
    return {
        "n": len(y),
        "macro_f1": round(float(f1_score(y, predicted, average="macro")), 4),
        "accuracy": round(float(accuracy_score(y, predicted)), 4),
    }


def banded(texts: list[str], y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """How much of a binary set the neutral band sets aside, and F1 on what it keeps."""
    labels = [label_for(float(q), question=is_question(t)) for t, q in zip(texts, p, strict=True)]
    kept = [i for i, lab in enumerate(labels) if lab != "neutral"]
    predicted = np.array([labels[i] == "positive" for i in kept], dtype=int)
    return {
        "share_neutral": round(1 - len(kept) / len(texts), 4),
        "macro_f1_on_polar": round(float(f1_score(y[kept], predicted, average="macro")), 4),
    }


def hand_sets(model: SentimentModel, paths: list[Path]) -> dict[str, Any]:
    """Binary macro-F1 on each hand-written set's polar items; 3-class figures with neutrals."""
    out: dict[str, Any] = {}
    for path in paths:
        every = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE)
        for language, frame in every.groupby("lang", sort=True):
            name = path.stem if path.stem.endswith(f"-{language}") else f"{path.stem}-{language}"
            out[name] = hand_set(model, frame.reset_index(drop=True))
    return out


def hand_set(model: SentimentModel, frame: pd.DataFrame) -> dict[str, Any]:
    """Scores of one language of one hand-written set (errors listed for the data card)."""
    texts = frame.text.astype(str).tolist()
    polar = frame.label != "neutral"
    p = np.array(model.positive_probability(texts))
    entry: dict[str, Any] = binary_scores(
        (frame.label[polar] == "positive").astype(int).to_numpy(), p[polar]
    )
    labels = [s.label for s in model.predict(texts)]
    if (~polar).any():
        entry["three_class_macro_f1"] = round(
            float(f1_score(frame.label, labels, average="macro")), 4
        )
    entry["errors"] = [
        {"text": t, "gold": g, "p_positive": round(float(q), 3)}
        for t, g, q, is_polar in zip(texts, frame.label, p, polar, strict=True)
        if is_polar and (q >= 0.5) != (g == "positive")
    ]
    return entry


def handwritten(language: str) -> tuple[list[str], np.ndarray, np.ndarray, int]:
    """The hand-written training sentences for ``language``: texts, targets, weights, neutrals.

    Every ``training/handwritten*-<language>.tsv`` file is read (training only, never measured).
    A polar sentence counts ``HANDWRITTEN_WEIGHT[language]`` dataset rows. A *neutral* one is
    added twice, once as positive and once as negative, each with ``NEUTRAL_WEIGHT[language]``:
    the classifier is then best off giving it p = 0.5, which teaches it that plain questions and
    facts carry no verdict.
    """
    texts: list[str] = []
    targets: list[int] = []
    weights: list[float] = []
    neutrals = 0
    for path in sorted(TRAINING_DIR.glob(f"handwritten*-{language}.tsv")):
        frame = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE)
        unknown = set(frame.label) - {"positive", "negative", "neutral"}
        if unknown:
            raise ValueError(f"{path.name}: unknown labels {sorted(unknown)}")
        for text, label in zip(frame.text.astype(str), frame.label, strict=True):
            if label == "neutral":
                texts += [text, text]
                targets += [1, 0]
                weights += [NEUTRAL_WEIGHT[language]] * 2
                neutrals += 1
            else:
                texts.append(text)
                targets.append(int(label == "positive"))
                weights.append(HANDWRITTEN_WEIGHT[language])
    return texts, np.array(targets, dtype=int), np.array(weights, dtype=float), neutrals


def fit(
    make: Any,
    x: list[str],
    y: np.ndarray,
    extra: tuple[list[str], np.ndarray, np.ndarray, int],
) -> Any:
    extra_x, extra_y, extra_weights, _ = extra
    weights = np.concatenate([np.ones(len(x)), extra_weights])
    return make().fit(
        x + extra_x,
        np.concatenate([y, extra_y]).astype(int),
        logisticregression__sample_weight=weights,
    )


def train_language(
    name: str, texts: list[str], y: np.ndarray, make: Any, cv: bool
) -> tuple[Any, dict[str, Any]]:
    train_x, test_x, train_y, test_y = train_test_split(
        texts, y, test_size=HOLDOUT, stratify=y, random_state=SEED
    )
    extra = handwritten(name)
    neutral_rows = extra[3]
    figures: dict[str, Any] = {
        "rows": len(texts),
        "train_rows": len(train_x),
        "holdout_rows": len(test_x),
        "handwritten_rows": len(extra[0]) - 2 * neutral_rows,
        "handwritten_neutral_rows": neutral_rows,
        "handwritten_weight": HANDWRITTEN_WEIGHT[name],
        "handwritten_neutral_weight": NEUTRAL_WEIGHT[name],
    }
    if cv:  # the shipped recipe (hand-written sentences added to each training fold)
        folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
        scores = []
        for fit_rows, score_rows in folds.split(train_x, train_y):
            fold = fit(make, [train_x[i] for i in fit_rows], train_y[fit_rows], extra)
            predicted = fold.predict([train_x[i] for i in score_rows])
            scores.append(f1_score(train_y[score_rows], predicted, average="macro"))
        figures["cv5_macro_f1_mean"] = round(float(np.mean(scores)), 4)
        figures["cv5_macro_f1_sd"] = round(float(np.std(scores)), 4)
    started = time.perf_counter()
    model = fit(make, train_x, train_y, extra)
    figures["fit_seconds"] = round(time.perf_counter() - started, 1)
    p = model.predict_proba(test_x)[:, 1]
    figures["holdout"] = binary_scores(test_y, p) | banded(test_x, test_y, p)
    print(name, json.dumps(figures, ensure_ascii=False))
    return model, figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snappfood", type=Path, required=True)
    parser.add_argument("--alexa", type=Path, required=True)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--no-cv", action="store_true", help="skip the 5-fold CV (faster)")
    parser.add_argument(
        "--eval", type=Path, action="append", default=[], help="another set to score (TSV)"
    )
    args = parser.parse_args(argv)

    snappfood = pd.read_csv(args.snappfood, sep="\t", index_col=0, quoting=csv.QUOTE_NONE)
    fa_texts = snappfood.comment.astype(str).tolist()
    fa_y = (snappfood.label_id == 0).astype(int).to_numpy()  # label_id 0 = HAPPY = positive
    alexa = pd.read_csv(args.alexa, sep="\t", encoding="utf-8-sig")
    alexa = alexa[alexa.verified_reviews.notna()]  # 1 review is empty; blanks read as NaN
    alexa = alexa[alexa.verified_reviews.astype(str).str.strip().astype(bool)]
    en_texts = alexa.verified_reviews.astype(str).tolist()
    en_y = alexa.feedback.astype(int).to_numpy()

    fa_model, fa_figures = train_language("fa", fa_texts, fa_y, persian_pipeline, not args.no_cv)
    en_model, en_figures = train_language("en", en_texts, en_y, english_pipeline, not args.no_cv)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for language, model in (("fa", fa_model), ("en", en_model)):
        path = args.out_dir / f"sentiment-{language}.joblib"
        joblib.dump(model, path, compress=3)
        sizes[language] = path.stat().st_size

    shipped = SentimentModel({"fa": fa_model, "en": en_model})
    metrics = {
        "version": BASE_VERSION,
        "sklearn": sklearn.__version__,
        "python": platform.python_version(),
        "seed": SEED,
        "holdout_share": HOLDOUT,
        "sources": {
            "snappfood": {"file": args.snappfood.name, "sha256": sha256(args.snappfood)},
            "alexa": {"file": args.alexa.name, "sha256": sha256(args.alexa)},
        },
        "persian": fa_figures | {"lexicon_entries": lexicon.size()},
        "persian_lexicon_weight": PERSIAN_LEXICON_WEIGHT,
        "english": en_figures,
        "english_vader_weight": ENGLISH_VADER_WEIGHT,
        "model_bytes": sizes,
        "hand_written_sets": hand_sets(shipped, sorted(DATA_DIR.glob("*.tsv")) + args.eval),
    }
    (args.out_dir / "metrics.json").write_text(
        json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
