"""Text -> token ids, the one function training and inference both call.

Long prompts are cut to their head and tail (Sun et al. 2019, "How to fine-tune BERT
for text classification": head+tail beats head-only and tail-only on long texts).
The split is 3/4 head, 1/4 tail of the content tokens (64 tokens: [CLS] + 46 head +
16 tail + [SEP]). Why: in long ShareGPT prompts the ask usually comes first
("Summarize the following ...", "Rewrite this component ...") and the pasted material
follows; a trailing question ("... would you help me fix this?") is rarer and short,
so a quarter of the budget keeps it. The router's own text window uses the same 3:1.

Tokenizing costs ~0.4 us per character (a 12 k-character prompt ~6 ms), so the text is
first cut to a character budget: ``chars_per_token`` characters per head token from the
start and per tail token from the end (6 by default: 99 % of ShareGPT prompts average
fewer than 6 characters per token, so the cut rarely costs a token). A 1 MB prompt
therefore tokenizes as fast as a 400-character one.

numpy and ``tokenizers`` only: no torch here, inference imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tokenizers import Encoding, Tokenizer

from policies import ClassifierError

__all__ = [
    "DEFAULT_CHARS_PER_TOKEN",
    "DEFAULT_HEAD_FRACTION",
    "cut_text",
    "encode",
    "head_tail_split",
    "load_tokenizer",
]

DEFAULT_HEAD_FRACTION = 0.75
DEFAULT_CHARS_PER_TOKEN = 6
_CLS, _SEP, _PAD = "[CLS]", "[SEP]", "[PAD]"


def load_tokenizer(path: str | Path) -> Tokenizer:
    """A ``tokenizer.json`` with its own truncation and padding switched off.

    :func:`encode` truncates (head+tail) and pads itself; a tokenizer.json that ships
    with ``truncation``/``padding`` set (MiniLM's does: 128, fixed) would otherwise
    cut the tail off before we see it.
    """
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on a bad file
        raise ClassifierError(f"{path}: cannot load tokenizer: {exc}") from exc
    tokenizer.no_truncation()
    tokenizer.no_padding()
    for token in (_CLS, _SEP, _PAD):
        if tokenizer.token_to_id(token) is None:
            raise ClassifierError(f"{path}: tokenizer has no {token} token (expected BERT's)")
    return tokenizer


def _special_id(tokenizer: Tokenizer, token: str) -> int:
    token_id = tokenizer.token_to_id(token)
    if token_id is None:
        raise ClassifierError(f"tokenizer has no {token} token (expected a BERT vocabulary)")
    return int(token_id)


def head_tail_split(
    max_tokens: int, head_fraction: float = DEFAULT_HEAD_FRACTION
) -> tuple[int, int]:
    """(head, tail) content tokens for a budget of ``max_tokens`` including [CLS]/[SEP]."""
    if max_tokens < 3:
        raise ClassifierError(
            f"max_tokens: must be at least 3 ([CLS], a token, [SEP]), got {max_tokens}"
        )
    if not 0.0 <= head_fraction <= 1.0:
        raise ClassifierError(f"head_fraction: must be in [0, 1], got {head_fraction}")
    content = max_tokens - 2
    head = min(content, round(content * head_fraction))
    return head, content - head


def cut_text(
    text: str,
    max_tokens: int,
    *,
    head_fraction: float = DEFAULT_HEAD_FRACTION,
    chars_per_token: int = DEFAULT_CHARS_PER_TOKEN,
) -> str:
    """The head and tail characters that can still yield the kept tokens."""
    head, tail = head_tail_split(max_tokens, head_fraction)
    head_chars, tail_chars = head * chars_per_token, tail * chars_per_token
    if len(text) <= head_chars + tail_chars:
        return text
    # The space keeps the last head word and the first tail word apart; with enough
    # characters on each side the tokens near the seam are dropped below anyway.
    return text[:head_chars] + " " + (text[-tail_chars:] if tail_chars else "")


def _tokenize(tokenizer: Tokenizer, texts: list[str]) -> list[Encoding]:
    if len(texts) == 1:  # encode_batch goes through a thread pool; one text does not need it
        return [tokenizer.encode(texts[0], add_special_tokens=False)]
    return tokenizer.encode_batch(texts, add_special_tokens=False)


def encode(
    tokenizer: Tokenizer,
    texts: Sequence[str],
    max_tokens: int,
    *,
    head_fraction: float = DEFAULT_HEAD_FRACTION,
    chars_per_token: int = DEFAULT_CHARS_PER_TOKEN,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(input_ids, attention_mask)``, both int64 of shape ``(len(texts), L)``.

    Each row is ``[CLS] + first head tokens + last tail tokens + [SEP]`` when the text
    has more than ``max_tokens - 2`` tokens, else ``[CLS] + all tokens + [SEP]``; rows
    are right-padded with [PAD] to the longest row of the batch (``L <= max_tokens``).
    """
    if isinstance(texts, str):
        raise TypeError("encode takes a list of texts, not one string")
    head, tail = head_tail_split(max_tokens, head_fraction)
    cut = [
        cut_text(t, max_tokens, head_fraction=head_fraction, chars_per_token=chars_per_token)
        for t in texts
    ]
    try:
        encodings = _tokenize(tokenizer, cut)
    except TypeError:  # a lone surrogate ("\ud800", valid in JSON) is not UTF-8 text
        encodings = _tokenize(tokenizer, [t.encode("utf-8", "replace").decode() for t in cut])
    cls_id, sep_id, pad_id = (_special_id(tokenizer, t) for t in (_CLS, _SEP, _PAD))
    rows: list[list[int]] = []
    for encoding in encodings:
        ids = encoding.ids
        if len(ids) > head + tail:
            ids = ids[:head] + (ids[len(ids) - tail :] if tail else [])
        rows.append([cls_id, *ids, sep_id])
    width = max((len(r) for r in rows), default=2)
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = row
        attention_mask[i, : len(row)] = 1
    return input_ids, attention_mask
