"""Per-model outcomes -> 3-tier soft labels, through one item-response model.

Every source observes a different set of models: RouterBench 11 (including the three
tier models), small_models7 seven 7-8B models, RouterArena two cheap API models,
Arena-Hard none. One Rasch model puts them on one scale:

    P(model m solves prompt i) = sigmoid(theta_m - d_i)

``theta`` (ability per model) and ``d`` (difficulty per prompt) are fitted jointly by
penalised maximum likelihood on every observed outcome (fractional scores count as
fractional successes). small_models7 and RouterBench share ~1,000 ARC/MBPP questions
(linked before fitting), which puts the seven small models on RouterBench's scale;
RouterArena's models share no prompt with anyone, so their abilities are *anchored*
to a tier model (claude-3-haiku = Mixtral-8x7B, gemini-2.0-flash = GPT-4-1106, a
conservative reading of public leaderboards) instead of fitted.

For each prompt, the posterior over ``d`` (grid, normal prior) gives each tier
model's success probability ``p_t = E[sigmoid(theta_t - d)]``: one prompt that only
small models saw still gets calibrated medium/frontier probabilities, because the
linked questions taught the model how the tiers' abilities relate. Where a tier model
was observed itself, ``observed_weight`` mixes its own outcome in.

Success probabilities become *cheapest sufficient tier* probabilities under a nested
difficulty model (a prompt the small tier solves, the larger tiers solve too):
``small = p_s``, ``medium = p_m - p_s``, ``frontier = p_f - p_m``; the remaining
``1 - p_f`` (no tier solves it) goes to ``unsolved``: the small tier (default: nothing
is gained by paying more, so a hopeless request never counts as frontier), the frontier
tier (the old "top tier if none did") or spread in proportion. Confidence (the sample
weight) drops with the unsolved mass, so hopeless requests weigh less.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from policies import LabelingError

__all__ = ["SoftLabelConfig", "SoftLabels", "fit_abilities", "soft_labels"]

TIER_MODELS = (
    "routerbench:mistralai/mistral-7b-chat",
    "routerbench:mistralai/mixtral-8x7b-chat",
    "routerbench:gpt-4-1106-preview",
)
ANCHORS = {
    "routerarena:claude-3-haiku-20240307": TIER_MODELS[1],
    "routerarena:gemini-2.0-flash-001": TIER_MODELS[2],
}
UNSOLVED = ("frontier", "small", "spread")
# Arena-Hard: prompts picked from Chatbot Arena for being hard (frontier-leaning);
# ShareGPT and anything else without outcomes: ordinary traffic, no tier favoured much.
NO_OUTCOME_PROBS = {"arena_hard": (0.1, 0.3, 0.6), "default": (0.4, 0.3, 0.3)}
_GRID = np.linspace(-8.0, 8.0, 161)


@dataclass(frozen=True)
class SoftLabelConfig:
    """How outcomes become soft labels (all of it is recorded in the data card)."""

    method: str = "irt"  # irt | tier_models (cheapest correct of the 3 tier models, 0/1)
    unsolved: str = "small"
    observed_weight: float = 0.5
    difficulty_prior_sd: float = 2.0
    ability_l2: float = 0.01
    family_offsets: bool = True  # per-family ability offsets (penalised by family_l2)
    family_l2: float = 1.0
    # 0..1: how much of each family's mean difficulty to remove (1 = only within-family
    # differences remain, so a classifier cannot score a prompt by recognising its source)
    family_centering: float = 0.0
    # soft label of prompts without any outcome, by family ("default": any other family)
    no_outcome_probs: Mapping[str, tuple[float, float, float]] = field(
        default_factory=lambda: dict(NO_OUTCOME_PROBS)
    )
    tier_models: tuple[str, str, str] = TIER_MODELS
    anchors: Mapping[str, str] = field(default_factory=lambda: dict(ANCHORS))

    def __post_init__(self) -> None:
        if self.method not in ("irt", "tier_models"):
            raise LabelingError(f"method: unknown {self.method!r}; expected irt or tier_models")
        if self.unsolved not in UNSOLVED:
            raise LabelingError(f"unsolved: unknown {self.unsolved!r}; expected one of {UNSOLVED}")
        if not 0.0 <= self.observed_weight <= 1.0:
            raise LabelingError(f"observed_weight: {self.observed_weight} is not in [0, 1]")
        for family, probs in self.no_outcome_probs.items():
            if len(probs) != 3 or abs(sum(probs) - 1.0) > 1e-6 or min(probs) < 0:
                raise LabelingError(f"no_outcome_probs[{family!r}]: {probs} is not 3 probabilities")
        if "default" not in self.no_outcome_probs:
            raise LabelingError("no_outcome_probs: needs a 'default' entry")


@dataclass(frozen=True)
class SoftLabels:
    tier_probs: NDArray[np.float64]  # (n, 3), rows sum to 1; NaN rows = no label
    success: NDArray[np.float64]  # (n, 3) estimated P(tier model solves it)
    confidence: NDArray[np.float64]  # (n,)
    abilities: dict[str, float]  # fitted theta per model (empty for tier_models)


def _matrix(
    outcomes: Sequence[Mapping[str, float]],
) -> tuple[list[str], NDArray[np.float64], NDArray[np.bool_]]:
    models = sorted({m for row in outcomes for m in row})
    column = {m: j for j, m in enumerate(models)}
    values = np.zeros((len(outcomes), len(models)))
    mask = np.zeros((len(outcomes), len(models)), dtype=bool)
    for i, row in enumerate(outcomes):
        for model, value in row.items():
            values[i, column[model]] = value
            mask[i, column[model]] = True
    return models, values, mask


@dataclass(frozen=True)
class _Fit:
    models: list[str]
    families: list[str]
    theta: NDArray[np.float64]  # (models,)
    delta: NDArray[np.float64]  # (models, families): family-specific ability offset

    def abilities(self, family: int) -> NDArray[np.float64]:
        out: NDArray[np.float64] = self.theta + self.delta[:, family]
        return out

    def of(self, model: str, family: int) -> float:
        return float(self.abilities(family)[self.models.index(model)])


def fit_abilities(
    outcomes: Sequence[Mapping[str, float]],
    config: SoftLabelConfig,
    families: Sequence[str] | None = None,
) -> dict[str, float]:
    """Model abilities on one logit scale (the family-independent part)."""
    fit = _fit(outcomes, config, families)
    return {m: float(t) for m, t in zip(fit.models, fit.theta, strict=True)}


def _fit(
    outcomes: Sequence[Mapping[str, float]],
    config: SoftLabelConfig,
    families: Sequence[str] | None,
    iterations: int = 200,
) -> _Fit:
    """Joint penalised ML (alternating Newton steps on d, theta and the family offsets)."""
    models, values, mask = _matrix(outcomes)
    names = sorted(set(families or ["all"]))
    family = np.array([names.index(f) for f in families] if families else [0] * len(outcomes))
    onehot = np.eye(len(names))[family]  # (items, families)
    anchored = {
        j: models.index(config.anchors[m])
        for j, m in enumerate(models)
        if m in config.anchors and config.anchors[m] in models
    }
    free = np.array([j not in anchored for j in range(len(models))])
    theta, delta = np.zeros(len(models)), np.zeros((len(models), len(names)))
    difficulty = np.zeros(len(values))
    prior = 1.0 / config.difficulty_prior_sd**2
    offsets = config.family_offsets and len(names) > 1
    seen = ((onehot.T @ mask).T > 0) & free[:, None]  # (models, families) observed pairs

    def stats() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        p = _sigmoid(theta[None, :] + delta[:, family].T - difficulty[:, None])
        return np.where(mask, p * (1 - p), 0.0), np.where(mask, values - p, 0.0)

    for _ in range(iterations):
        for j, target in anchored.items():
            theta[j] = theta[target]
        info, residual = stats()
        difficulty -= (residual.sum(axis=1) + prior * difficulty) / (info.sum(axis=1) + prior)
        info, residual = stats()
        step = (residual.sum(axis=0) - config.ability_l2 * theta) / (
            info.sum(axis=0) + config.ability_l2
        )
        theta = np.where(free, theta + step, theta)
        if offsets:
            info, residual = stats()
            grad = (onehot.T @ residual).T - config.family_l2 * delta
            delta += np.where(free[:, None], grad / ((onehot.T @ info).T + config.family_l2), 0.0)
            delta = _double_center(delta, seen)
    for j, target in anchored.items():
        theta[j] = theta[target]
    return _Fit(models, names, theta, delta)


def _double_center(delta: NDArray[np.float64], seen: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Offsets average 0 over each model's families and over each family's models.

    So a model's overall ability stays in theta and a family's overall difficulty stays
    in d (where only small models saw a family, its difficulty is not explained away).
    """
    for _ in range(10):
        rows = (delta * seen).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
        delta = np.where(seen, delta - rows[:, None], 0.0)
        cols = (delta * seen).sum(axis=0) / np.maximum(seen.sum(axis=0), 1)
        delta = np.where(seen, delta - cols[None, :], 0.0)
    return delta


def soft_labels(
    outcomes: Sequence[Mapping[str, float]],
    config: SoftLabelConfig,
    families: Sequence[str] | None = None,
) -> SoftLabels:
    """Tier probabilities for each prompt from the outcomes observed for it.

    ``families`` (one per prompt) lets abilities differ by benchmark family
    (``config.family_offsets``): Mixtral is relatively better at code than at ARC.
    """
    if config.method == "tier_models":
        return _tier_model_labels(outcomes, config)
    fit = _fit(outcomes, config, families)
    missing = [m for m in config.tier_models if m not in fit.models]
    if missing:
        raise LabelingError(f"tier_models: no outcome recorded for {missing}")
    models, values, mask = _matrix(outcomes)
    order = [fit.models.index(m) for m in models]
    tiers = [fit.models.index(m) for m in config.tier_models]
    family = np.array([fit.families.index(f) for f in families] if families else [0] * len(mask))
    post = np.empty((len(outcomes), len(_GRID)))
    for f in range(len(fit.families)):
        rows = family == f
        p = _sigmoid(fit.abilities(f)[order][:, None] - _GRID[None, :])  # (models, grid)
        # log-likelihood of each prompt's outcomes at each grid difficulty, plus the prior
        loglik = (values[rows] * mask[rows]) @ np.log(p)
        loglik += ((1 - values[rows]) * mask[rows]) @ np.log1p(-p)
        loglik -= 0.5 * (_GRID / config.difficulty_prior_sd) ** 2
        post[rows] = np.exp(loglik - loglik.max(axis=1, keepdims=True))
    post /= post.sum(axis=1, keepdims=True)
    mean = post @ _GRID
    spread = np.sqrt(np.maximum(post @ _GRID**2 - mean**2, 0.0))
    has: NDArray[np.bool_] = np.asarray(mask.any(axis=1), dtype=bool)
    shift = _family_shift(mean, family, has, config.family_centering)
    success = np.empty((len(outcomes), 3))
    for f in range(len(fit.families)):
        rows = family == f
        grid = _GRID - shift[f]
        success[rows] = post[rows] @ _sigmoid(fit.abilities(f)[tiers][None, :] - grid[:, None])
    for t, model in enumerate(config.tier_models):
        seen, observed = mask[:, models.index(model)], values[:, models.index(model)]
        w = config.observed_weight
        success[:, t] = np.where(seen, (1 - w) * success[:, t] + w * observed, success[:, t])
    probs = _nested_probs(success, config.unsolved)
    names = list(families) if families else ["default"] * len(outcomes)
    for i in np.flatnonzero(~has):
        prior = config.no_outcome_probs
        probs[i] = prior.get(names[i], prior["default"])
    # confidence: how much the outcomes narrowed the difficulty, times how peaked the label is
    certainty = np.clip(1.0 - spread / config.difficulty_prior_sd, 0.0, 1.0)
    solved = np.clip(np.max(success, axis=1), 0.0, 1.0)  # P(some tier answers it)
    confidence = np.where(
        has, probs.max(axis=1) * (0.5 + 0.5 * certainty) * (0.25 + 0.75 * solved), 0.3
    )
    abilities = {m: float(t) for m, t in zip(fit.models, fit.theta, strict=True)}
    return SoftLabels(probs, success, confidence, abilities)


def _family_shift(
    mean: NDArray[np.float64], family: NDArray[np.int64], has: NDArray[np.bool_], share: float
) -> NDArray[np.float64]:
    """``share`` of each family's mean difficulty above the overall mean (to subtract)."""
    shift = np.zeros(int(family.max()) + 1 if len(family) else 0)
    if share == 0.0 or not has.any():
        return shift
    overall = mean[has].mean()
    for f in range(len(shift)):
        rows = has & (family == f)
        if rows.any():
            shift[f] = share * (mean[rows].mean() - overall)
    return shift


def _nested_probs(success: NDArray[np.float64], unsolved: str) -> NDArray[np.float64]:
    cumulative = np.maximum.accumulate(np.clip(success, 0.0, 1.0), axis=1)
    probs = np.diff(np.concatenate([np.zeros((len(success), 1)), cumulative], axis=1), axis=1)
    rest = 1.0 - cumulative[:, -1]
    if unsolved == "frontier":
        probs[:, -1] += rest
    elif unsolved == "small":
        probs[:, 0] += rest
    else:
        solved = probs.sum(axis=1, keepdims=True)
        share = np.where(solved > 0, probs / np.where(solved > 0, solved, 1.0), 1.0 / 3)
        probs += share * rest[:, None]
    result: NDArray[np.float64] = probs / probs.sum(axis=1, keepdims=True)
    return result


def _tier_model_labels(
    outcomes: Sequence[Mapping[str, float]], config: SoftLabelConfig
) -> SoftLabels:
    """The hard baseline: cheapest tier model that was right; else NaN.

    None right: the ``unsolved`` tier (small by default) at a quarter of the confidence.
    """
    probs = np.full((len(outcomes), 3), np.nan)
    success = np.full((len(outcomes), 3), np.nan)
    for i, row in enumerate(outcomes):
        if not all(m in row for m in config.tier_models):
            continue
        success[i] = [row[m] for m in config.tier_models]
        solved = [t for t in range(3) if success[i, t] >= 0.5]
        if solved:
            probs[i] = np.eye(3)[solved[0]]
        else:
            probs[i] = _nested_probs(np.zeros((1, 3)), config.unsolved)[0]
    hopeless = np.nanmax(np.where(np.isnan(success), 0.0, success), axis=1) < 0.5
    confidence = np.where(np.isnan(probs[:, 0]), np.nan, np.where(hopeless, 0.25, 1.0))
    return SoftLabels(probs, success, confidence, {})


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return result
