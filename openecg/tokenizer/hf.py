"""The id vocabulary as a Hugging Face tokenizer: ``tokenizer.json`` and its ``transformers`` config files.

The tokenizer is a ``tokenizers`` WordLevel model over :data:`openecg.tokenizer.ids.VOCAB` with a
whitespace pre-tokenizer: it reads the text of :func:`openecg.tokenizer.ids.to_text` and gives the same ids
as :func:`openecg.tokenizer.ids.to_ids`. The files ship in the package (:func:`tokenizer_dir`), so

>>> from transformers import AutoTokenizer                  # doctest: +SKIP
>>> tok = AutoTokenizer.from_pretrained(tokenizer_dir())    # doctest: +SKIP

works offline. ``tokenizers`` is imported only by :func:`write_tokenizer`.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path

from .ids import IDS_VERSION, VOCAB
from .vocab import VOCAB_VERSION

__all__ = ["tokenizer_dir", "write_tokenizer", "SPECIAL_TOKENS"]

SPECIAL_TOKENS: dict[str, str] = {"pad_token": "<pad>", "bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>"}
"""The ``transformers`` special-token roles and their token strings."""


def tokenizer_dir() -> Path:
    """The folder of the shipped tokenizer files (``tokenizer.json``, ``tokenizer_config.json``, ...)."""
    return Path(__file__).with_name("ids_tokenizer")


def write_tokenizer(path: str | PathLike[str]) -> Path:
    """Write ``tokenizer.json``, ``tokenizer_config.json`` and ``special_tokens_map.json`` into folder ``path``.

    The files are a pure function of the vocabulary (the shipped ones are checked against a fresh write).
    """
    from tokenizers import Tokenizer, models, pre_tokenizers

    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.WordLevel(vocab={token: i for i, token in enumerate(VOCAB)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    specials = list(SPECIAL_TOKENS.values())
    tokenizer.add_special_tokens(specials)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": 1 << 20,
        "clean_up_tokenization_spaces": False,
        "openecg_ids_version": IDS_VERSION,
        "openecg_vocab_version": VOCAB_VERSION,
        **SPECIAL_TOKENS,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    (folder / "special_tokens_map.json").write_text(json.dumps(SPECIAL_TOKENS, indent=2) + "\n")
    return folder
