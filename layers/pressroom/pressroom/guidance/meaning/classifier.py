"""The small model on top of the sentence embeddings: multinomial logistic regression in numpy,
nearest labelled examples, and Platt scaling of the probability that a text is not neutral."""
from __future__ import annotations

import math

import numpy as np

ITERATIONS = 600
L2 = 1e-3


def fit_softmax(x: np.ndarray, y: np.ndarray, classes: int, l2: float = L2) -> tuple[np.ndarray, np.ndarray]:
    """Weights (classes, dim) and bias (classes,) of an L2-regularised multinomial logistic
    regression, each class weighted by the inverse of its frequency. Deterministic: full-batch
    Nesterov-accelerated gradient descent from zeros, a fixed number of steps, float64."""
    n, dim = x.shape
    onehot = np.zeros((n, classes))
    onehot[np.arange(n), y] = 1.0
    counts = np.maximum(onehot.sum(axis=0), 1.0)
    sample = (n / (classes * counts))[y] / n  # balanced class weights, normalised
    weights, bias = np.zeros((classes, dim)), np.zeros(classes)
    velocity_w, velocity_b = np.zeros_like(weights), np.zeros_like(bias)
    step, momentum = 4.0, 0.9
    for _ in range(ITERATIONS):
        look_w, look_b = weights + momentum * velocity_w, bias + momentum * velocity_b
        error = (softmax(x @ look_w.T + look_b) - onehot) * sample[:, None]
        grad_w = error.T @ x + l2 * look_w
        grad_b = error.sum(axis=0)
        velocity_w = momentum * velocity_w - step * grad_w
        velocity_b = momentum * velocity_b - step * grad_b
        weights, bias = weights + velocity_w, bias + velocity_b
    return weights, bias


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def knn_probabilities(x: np.ndarray, bank: np.ndarray, bank_y: np.ndarray, classes: int, k: int,
                      exclude_self: bool = False) -> np.ndarray:
    """Class probabilities from the ``k`` most similar bank rows (cosine, rows are unit vectors),
    each vote weighted by exp(similarity / 0.05), with one pseudo-vote spread over the classes."""
    similarity = x @ bank.T
    if exclude_self:
        np.fill_diagonal(similarity, -np.inf)
    out = np.full((len(x), classes), 1.0 / classes)
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    for row, indices in enumerate(nearest):
        votes = np.exp((similarity[row, indices] - similarity[row, indices[0]]) / 0.05)
        np.add.at(out[row], bank_y[indices], votes)
    return out / out.sum(axis=1, keepdims=True)


def logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def fit_platt(score: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """(a, b) so that sigmoid(a·logit(score) + b) is calibrated on ``target`` (0/1), by Newton's
    method on the log loss, with Platt's smoothed targets."""
    z = logit(score)
    positives, negatives = target.sum(), len(target) - target.sum()
    t = np.where(target == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(a * z + b)))
        gradient = np.array([np.sum((p - t) * z), np.sum(p - t)])
        w = p * (1 - p) + 1e-12
        hessian = np.array([[np.sum(w * z * z), np.sum(w * z)], [np.sum(w * z), np.sum(w)]]) + 1e-9 * np.eye(2)
        delta = np.linalg.solve(hessian, gradient)
        a, b = a - delta[0], b - delta[1]
        if np.abs(delta).max() < 1e-10:
            break
    return float(a), float(b)


def platt(score: float, a: float, b: float) -> float:
    return 1 / (1 + math.exp(-(a * float(logit(score)) + b)))
