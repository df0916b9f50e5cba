"""Token ids: the fixed vocabulary, the round trip at bucket resolution, and the Hugging Face tokenizer."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import openecg
from openecg import Codec
from openecg.signal.io import read_window
from openecg.tokenizer import ids as I
from openecg.tokenizer.hf import tokenizer_dir, write_tokenizer
from openecg.tokenizer.rle import runs_to_labels

# sha256 of "\n".join(VOCAB) for IDS_VERSION 1: any change to an id must bump IDS_VERSION and this value.
VOCAB_SHA256_V1 = "4ca1deedaf547e43734918c500a4784e8228b3ddf7060e27bbc839f18ee02619"
STEPS = np.diff(I.BUCKET_EDGES_MS)


def boundaries(codec: Codec) -> np.ndarray:
    """Sample positions where the symbol or any channel changes."""
    planes = np.vstack([runs_to_labels(*codec.tokens()), codec.channels])
    return np.flatnonzero(np.any(np.diff(planes, axis=1) != 0, axis=0)) + 1


def half_step_ms(duration_ms: float) -> float:
    """The largest half bucket step within 50 ms of ``duration_ms`` (the error-feedback target range)."""
    lo = np.searchsorted(I.BUCKET_EDGES_MS, max(duration_ms - 50, 0), side="right") - 1
    hi = np.searchsorted(I.BUCKET_EDGES_MS, duration_ms + 50, side="right")
    return float(STEPS[min(max(lo, 0), len(STEPS) - 1):max(hi, lo + 1)].max()) / 2


def planes(codec: Codec) -> np.ndarray:
    """uint8 ``(4, n)``: the symbol per sample above the three channels."""
    return np.vstack([runs_to_labels(*codec.tokens()), codec.channels])


def check_round_trip(codec: Codec) -> np.ndarray:
    """Round-trip ``codec`` and check the stated bound: every sample farther from a true boundary than the
    bound keeps its symbol and classes, and the sample count and rate are exact. Returns the boundary
    errors in ms when no segment collapsed (else an empty array)."""
    back = I.from_ids(I.to_ids(codec))
    assert back.n_samples == codec.n_samples and back.fs == codec.fs
    n, fs = codec.n_samples, codec.fs
    true = boundaries(codec)
    anchors = np.round(np.arange(1, n / (I.ANCHOR_S * fs) + 1) * I.ANCHOR_S * fs).astype(np.int64)
    previous = np.r_[0, true[:-1]]
    last_anchor = np.r_[0, anchors][np.searchsorted(anchors, true, side="left")]
    pieces_ms = (true - np.maximum(previous, last_anchor)) * 1000 / fs
    bound = np.array([half_step_ms(d) for d in pieces_ms])
    bound = np.maximum(bound, np.r_[0, bound[:-1]]) * fs / 1000 + 0.5
    near = np.zeros(n + 1, np.int64)
    np.add.at(near, np.clip(np.floor(true - bound).astype(np.int64), 0, n), 1)
    np.add.at(near, np.clip(np.ceil(true + bound).astype(np.int64) + 1, 0, n), -1)
    far = np.cumsum(near)[:n] == 0
    assert np.array_equal(planes(codec)[:, far], planes(back)[:, far])
    got = boundaries(back)
    if len(got) != len(true):
        return np.zeros(0)
    assert np.all(np.abs(got - true) <= bound + 1e-9)
    return np.abs(got - true) * 1000 / fs


def test_vocabulary_is_fixed():
    assert I.VOCAB[:3] == ("<pad>", "<bos>", "<eos>") and I.token_id("<unk>") == 3 and I.token_id("<gap>") == 4
    assert len(I.VOCAB) == len(set(I.VOCAB)) == 2718
    assert I.token_id("R@32") == I.VOCAB.index("R@32")
    assert hashlib.sha256("\n".join(I.VOCAB).encode()).hexdigest() == VOCAB_SHA256_V1
    assert I.BUCKET_EDGES_MS[0] == 0 and I.BUCKET_EDGES_MS[-1] == 10_000


def test_round_trip_real_records(data_dir):
    ludb = openecg.encode(openecg.read(data_dir / "ludb" / "data" / "2"))
    mitdb = openecg.encode(read_window(data_dir / "mitdb" / "208", start=0, stop=360 * 40))
    for codec in (ludb, mitdb):
        errors = check_round_trip(codec)
        if len(errors) != len(boundaries(codec)):
            # a segment may vanish only if it is within the stated bound (2 ms + half a sample)
            _, lengths = codec.tokens()
            tiny = int(np.sum(lengths * 1000 / codec.fs <= 2 + 500 / codec.fs))
            collapsed = len(boundaries(codec)) - len(boundaries(I.from_ids(I.to_ids(codec))))
            assert 0 < collapsed <= tiny
        else:
            assert np.median(errors) <= 2 + 500 / codec.fs
    beats = I.to_text(I.to_ids(mitdb)).count("<beat:V>")
    assert beats == len(mitdb.events("beat", drop_class=[0, 1, 2, 4, 5, 6]))


def test_sample_count_and_anchors_exact():
    fs, n = 128.0, 128 * 25 + 7
    wave = np.zeros(n, np.uint8)
    codec = Codec(np.stack([wave, wave, wave]), fs, tokens=(np.array([2], np.uint8), np.array([n])))
    ids = I.to_ids(codec)
    assert I.to_text(ids).count("<anchor>") == 2
    back = I.from_ids(ids)
    assert back.n_samples == n and back.fs == fs and back.tokens().lengths.tolist() == [n]


def test_header_lead_and_gap():
    codec = Codec(np.zeros((3, 100), np.uint8), 257.5, tokens=(np.array([2], np.uint8), np.array([100])))
    ids = I.to_ids(codec, lead="avf")
    assert I.header(ids)["lead"] == "aVF" and I.header(ids)["fs"] == 257.5
    gap = I.to_ids(codec, lead="x7", gap=True)
    assert I.to_text(gap).endswith("<lead:other> <gap> <eos>")
    assert I.from_ids(gap).rhythm.tolist() == [6] * 100


def test_refusals():
    codec = Codec(np.zeros((3, 10), np.uint8), 500)
    with pytest.raises(ValueError, match="no 13-symbol tokens"):
        I.to_ids(codec)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        I.from_ids([1, 99999])
    with pytest.raises(ValueError, match="<bos> <fs>"):
        I.from_ids([2, 2, 2, 2, 2])
    with pytest.raises(ValueError, match="no <eos>"):
        I.from_ids(I.to_ids(Codec(np.zeros((3, 10), np.uint8), 500, tokens=([2], [10])))[:-1])


@st.composite
def codecs(draw):
    fs = draw(st.sampled_from([128.0, 250.0, 360.0, 500.0, 257.5]))
    k = draw(st.integers(1, 60))
    lengths = np.array(draw(st.lists(st.integers(1, int(fs * 3)), min_size=k, max_size=k)))
    symbols = np.array(draw(st.lists(st.integers(0, 12), min_size=k, max_size=k)), np.uint8)
    keep = np.r_[True, symbols[1:] != symbols[:-1]]
    group = np.cumsum(keep) - 1
    symbols, lengths = symbols[keep], np.bincount(group, weights=lengths).astype(np.int64)
    per_run = lambda top: np.array(draw(st.lists(st.integers(0, top), min_size=len(symbols), max_size=len(symbols))), np.uint8)  # noqa: E731
    channels = np.stack([np.repeat(per_run(m), lengths) for m in (4, 6, 6)])
    return Codec(channels, fs, tokens=(symbols, lengths))


@settings(max_examples=60, deadline=None)
@given(codecs())
def test_round_trip_random(codec):
    check_round_trip(codec)


def test_shipped_tokenizer_files_match_a_fresh_write(tmp_path):
    write_tokenizer(tmp_path)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        assert json.loads((tmp_path / name).read_text()) == json.loads((tokenizer_dir() / name).read_text()), name


def test_transformers_auto_tokenizer_ids_equal_openecg(data_dir):
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir()))
    assert isinstance(tokenizer, PreTrainedTokenizerFast)
    assert (tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (
        I.PAD_ID, I.BOS_ID, I.EOS_ID, I.UNK_ID)
    ids = I.to_ids(openecg.encode(openecg.read(data_dir / "ludb" / "data" / "3")))
    assert tokenizer(I.to_text(ids))["input_ids"] == ids.tolist()
    assert tokenizer.decode(ids) == I.to_text(ids)
    assert len(tokenizer) == len(I.VOCAB)
