"""Fitting the second stages' :class:`~openecg.stream.stage_classifier.StageClassifier` (torch, training only).

:func:`fit_classifier` trains the small MLP with class and sample weights; :func:`out_of_fold` gives every
training example the scores of a classifier fitted without its record (cross-validation by record), on
which :func:`choose_offsets` picks the per-class decision offsets. Nothing here looks at validation records.
"""

from __future__ import annotations

import numpy as np

from ..stream.stage_classifier import StageClassifier

__all__ = ["fit_classifier", "out_of_fold", "choose_offsets", "f1_scores"]


def fit_classifier(x: np.ndarray, y: np.ndarray, *, classes: tuple[int, ...], feature_names: tuple[str, ...],
                   weight: np.ndarray | None = None, hidden: tuple[int, ...] = (32, 32), epochs: int = 30,
                   settings: dict | None = None, seed: int = 0) -> StageClassifier:
    """A :class:`StageClassifier` fitted on ``x (n, f)`` and class ids ``y (n,)`` (each in ``classes``) by
    Adam on the weighted cross-entropy (``weight (n,)``, default 1), minibatches of 1024, weight decay 1e-4."""
    import torch

    torch.manual_seed(seed)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    target = np.searchsorted(np.asarray(classes), y)
    xs = torch.as_tensor((x - mean) / scale, dtype=torch.float32)
    ts = torch.as_tensor(target, dtype=torch.int64)
    ws = torch.as_tensor(np.ones(len(y)) if weight is None else weight / np.mean(weight), dtype=torch.float32)
    sizes = (x.shape[1], *hidden, len(classes))
    layers: list[torch.nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = epochs * max(1, len(y) // 1024)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(y), generator=gen).split(1024):
            loss = (torch.nn.functional.cross_entropy(net(xs[idx]), ts[idx], reduction="none") * ws[idx]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    linear = [m for m in net if isinstance(m, torch.nn.Linear)]
    return StageClassifier(
        feature_names=tuple(feature_names), classes=tuple(int(c) for c in classes), mean=mean, scale=scale,
        weights=tuple(m.weight.detach().numpy().T.astype(np.float64) for m in linear),
        biases=tuple(m.bias.detach().numpy().astype(np.float64) for m in linear),
        offsets=np.zeros(len(classes)), settings=dict(settings or {}),
    )


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray, *, folds: int = 4, seed: int = 0,
                **fit_options) -> np.ndarray:
    """float64 ``(n, k)`` scores of every example from a classifier fitted on the other folds, the records
    (``groups (n,)``) dealt into ``folds`` folds at random (``seed``); ``fit_options`` go to
    :func:`fit_classifier`, ``weight`` included."""
    names = np.unique(groups)
    fold_of = dict(zip(names, np.random.default_rng(seed).permutation(len(names)) % folds))
    fold = np.array([fold_of[g] for g in groups])
    weight = fit_options.pop("weight", None)
    scores = np.zeros((len(y), len(fit_options["classes"])))
    for k in range(folds):
        train, test = fold != k, fold == k
        clf = fit_classifier(x[train], y[train], weight=None if weight is None else weight[train], seed=seed,
                             **fit_options)
        scores[test] = clf.scores(x[test])
    return scores


def f1_scores(y: np.ndarray, pred: np.ndarray, classes: tuple[int, ...]) -> dict[int, float]:
    """F1 of each class id in ``classes``."""
    out = {}
    for c in classes:
        tp = float(np.sum((y == c) & (pred == c)))
        out[c] = 2 * tp / max(1.0, float(np.sum(y == c) + np.sum(pred == c)))
    return out


def choose_offsets(scores: np.ndarray, y: np.ndarray, classes: tuple[int, ...], tuned: tuple[int, ...],
                   *, grid: np.ndarray | None = None, rounds: int = 2) -> np.ndarray:
    """float64 ``(k,)`` offsets for the score columns that maximise the mean F1 over the ``tuned`` classes
    on ``scores (n, k)`` (out-of-fold), by coordinate search over ``grid`` (default -3 ... 3)."""
    grid = np.linspace(-3, 3, 25) if grid is None else grid
    offsets = np.zeros(len(classes))
    cls = np.asarray(classes)

    def objective(o: np.ndarray) -> float:
        f1 = f1_scores(y, cls[np.argmax(scores + o, axis=1)], tuned)
        return float(np.mean(list(f1.values())))

    for _ in range(rounds):
        for c in tuned:
            i = classes.index(c)
            best = max(grid, key=lambda v: objective(np.where(np.arange(len(classes)) == i, v, offsets)))
            offsets[i] = best
    return offsets
