"""Builders for classifier tests: a tiny WordPiece tokenizer and a tiny BERT.

Everything is built in ``tmp_path``; nothing is downloaded. The 2-layer, hidden-32
BERT is randomly initialised and then fitted for a few steps to a synthetic rule, so
that its logits differ from text to text like a trained model's (a random model gives
near-uniform probabilities, which would make a parity check pass trivially).
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest

from classifier.inference import encode, load_tokenizer

TIERS = ("small", "medium", "frontier")
WORDS = (
    "the a an is are was of to and in on for with what why how when explain write "
    "code python function sql query select from where table join error bug fix "
    "prove theorem math integral derivative sum number list sort data model "
    "hello thanks please summarize translate story poem email hi question answer"
).split()
TEXTS = [
    "hello",
    "what is the sum of a list",
    "write a python function to sort a list of numbers",
    "explain why the sql query select from table is slow",
    "prove the theorem with an integral and a derivative " * 6,
    "summarize this email and translate it please",
    "fix the bug: error in function sort data model",
    "hi thanks",
    "x" * 300 + " what is 7 * 13?",
    "how to join a table in sql " * 40,
] * 3


def build_tokenizer(path: Path) -> Path:
    """A lowercasing BERT WordPiece tokenizer with a ~150-piece vocabulary."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    vocab_list = specials + chars + [f"##{c}" for c in chars] + WORDS
    vocab = {token: i for i, token in enumerate(dict.fromkeys(vocab_list))}
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer.save(str(path))
    return path


def rule_label(text: str) -> int:
    """Synthetic target: proofs and long texts are frontier, code/sql medium, else small."""
    if "prove" in text or len(text) > 400:
        return 2
    return 1 if any(w in text for w in ("sql", "python", "function", "bug")) else 0


def build_tiny_bert(tokenizer_json: Path, seed: int = 0, steps: int = 40) -> Any:
    """A tiny BERT fitted for a few steps to :func:`rule_label` (so logits vary by text)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(seed)
    config = transformers.BertConfig(
        vocab_size=load_tokenizer(tokenizer_json).get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=len(TIERS),
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: threads only add contention
    try:
        return _fit(transformers.BertForSequenceClassification(config), tokenizer_json, steps)
    finally:
        torch.set_num_threads(threads)


def _fit(model: Any, tokenizer_json: Path, steps: int) -> Any:
    import torch

    ids, mask = encode(load_tokenizer(tokenizer_json), TEXTS, 32)
    inputs = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
    labels = torch.tensor([rule_label(t) for t in TEXTS])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(**inputs).logits, labels)
        loss.backward()
        optimizer.step()
    return model.eval()
