"""The container: round trips, golden files byte for byte, and every way a file can be wrong."""

from __future__ import annotations

import importlib.util
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openecg.tokenizer import FORMAT_VERSION, MAGIC, Container, Runs, dumps, load, loads, pack, save

GOLDEN = Path(__file__).parent / "golden"


def golden_module():  # type: ignore[no-untyped-def]
    """The committed script that wrote the golden files (its inputs are the expected contents)."""
    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def forge(header: dict[str, object], words: list[int], *, version: int = FORMAT_VERSION, magic: bytes = MAGIC) -> bytes:
    """Container bytes with a valid checksum around any header and payload (for malformed inputs)."""
    text = json.dumps(header).encode()
    body = struct.pack("<4sHI", magic, version, len(text)) + text + np.array(words, dtype="<u2").tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


def good_header(**changes: object) -> dict[str, object]:
    header: dict[str, object] = {
        "attrs": {},
        "fs": 250.0,
        "layers": [{"layer": "wave", "n_runs": 2, "n_words": 2, "table": "wave"}],
        "n_samples": 5,
        "start": 0,
        "vocab_version": 1,
    }
    header.update(changes)
    return header


GOOD_WORDS = pack([1, 2], [2, 3]).tolist()


def test_forged_good_container_loads() -> None:
    container = loads(forge(good_header(), GOOD_WORDS))
    assert container.layers["wave"].lengths.tolist() == [2, 3] and container.n_samples == 5


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(1, 9000)), max_size=30),
    st.floats(1.0, 10000.0, allow_nan=False),
    st.integers(0, 2**40),
)
def test_round_trip(pairs: list[tuple[int, int]], fs: float, start: int) -> None:
    wave = Runs(np.array([s for s, _ in pairs], dtype=np.uint8), np.array([n for _, n in pairs], dtype=np.int64))
    total = wave.n_samples
    layers = {"wave": wave, "rhythm": Runs(np.array([1] * bool(total), dtype=np.uint8), np.array([total] * bool(total)))}
    container = Container(layers, fs=fs, start=start, attrs={"note": "x"})
    data = dumps(container)
    assert loads(data) == container
    assert loads(data).fs == fs
    assert (10 + struct.unpack_from("<I", data, 6)[0]) % 8 == 0, "payload must start 8-byte aligned"


@pytest.mark.parametrize("name", ["tokens_v1.oecg", "codec_v1.oecg"])
def test_golden_files_are_written_byte_for_byte(name: str) -> None:
    assert golden_module().GOLDEN[name]() == (GOLDEN / name).read_bytes()


def test_golden_tokens_file_reads_back() -> None:
    expected = golden_module().token_container()
    container = load(GOLDEN / "tokens_v1.oecg")
    assert container == expected
    assert container.start == 1234 and container.fs == 500.0 and container.attrs["record"] == "golden"
    assert container.layers["symbols"].lengths.max() == 2**24 + 7


def test_save_and_load(tmp_path: Path) -> None:
    container = golden_module().token_container()
    save(tmp_path / "x.oecg", container)
    assert load(tmp_path / "x.oecg") == container


def test_every_truncation_is_refused() -> None:
    data = (GOLDEN / "tokens_v1.oecg").read_bytes()
    for size in range(len(data)):
        with pytest.raises(ValueError, match="truncated"):
            loads(data[:size])


def test_every_flipped_byte_is_refused() -> None:
    data = (GOLDEN / "tokens_v1.oecg").read_bytes()
    for i in range(len(data)):
        corrupted = bytearray(data)
        corrupted[i] ^= 0x10
        with pytest.raises(ValueError):
            loads(bytes(corrupted))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (forge(good_header(), GOOD_WORDS, magic=b"ECG1"), r"data starts with b'ECG1', not the container magic b'OECG'"),
        (forge(good_header(), GOOD_WORDS, version=2), "format version 2, newer than this openecg reads \\(version 1\\)"),
        (forge(good_header(), GOOD_WORDS, version=0), "format version 0; allowed: 1..1"),
        (forge(good_header(vocab_version=2), GOOD_WORDS), "vocab_version=2; this openecg reads vocab_version=1"),
        (forge(good_header(extra=1), GOOD_WORDS), "header has keys"),
        (forge(good_header(start=-1), GOOD_WORDS), "start=-1; an integer >= 0"),
        (forge(good_header(n_samples=6), GOOD_WORDS), "covers 5 samples but the header says 6"),
        (forge(good_header(fs=0), GOOD_WORDS), "fs=0 must be a finite sample rate"),
        (forge(good_header(attrs=[]), GOOD_WORDS), "attrs=\\[\\]; a JSON object"),
        (forge(good_header(layers=[]), GOOD_WORDS), "layers=\\[\\]; a non-empty list"),
        (
            forge(good_header(layers=[{"layer": "ecg", "n_runs": 2, "n_words": 2, "table": "ecg"}]), GOOD_WORDS),
            "layer='ecg'",
        ),
        (
            forge(good_header(layers=[{"layer": "wave", "n_runs": 2, "n_words": 2, "table": "beat"}]), GOOD_WORDS),
            "table='beat'",
        ),
        (
            forge(good_header(layers=[{"layer": "wave", "n_runs": 3, "n_words": 2, "table": "wave"}]), GOOD_WORDS),
            "lists 3 runs but its words hold 2",
        ),
        (forge(good_header(), [*GOOD_WORDS, 0x1000]), "lists 2 words \\(4 bytes\\) but the payload has 6 bytes"),
        (forge(good_header(), pack([1, 7], [2, 3]).tolist()), r"symbols\[1\]=7 is not in the wave table; allowed ids are 0..4"),
        (forge(good_header(), [0x1001, 0xF000]), r"words\[1\]=0xf000 is a last continuation word"),
        (b"OECG\x01\x00\xff\xff\x00\x00" + struct.pack("<I", zlib.crc32(b"OECG\x01\x00\xff\xff\x00\x00")), "header length"),
    ],
)
def test_malformed_containers_raise(data: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        loads(data)


def test_container_checks_its_layers() -> None:
    runs = Runs(np.array([1], dtype=np.uint8), np.array([3]))
    with pytest.raises(ValueError, match="cover different numbers of samples"):
        Container({"wave": runs, "beat": Runs(np.array([1], dtype=np.uint8), np.array([4]))}, fs=250)
    with pytest.raises(ValueError, match="layers has a layer 'ecg'; allowed: symbols, wave, beat, rhythm"):
        Container({"ecg": runs}, fs=250)
    with pytest.raises(ValueError, match="non-empty mapping"):
        Container({}, fs=250)
    with pytest.raises(ValueError, match=r"symbols\[0\]=9 is not in the beat table"):
        Container({"beat": Runs(np.array([9], dtype=np.uint8), np.array([3]))}, fs=250)
    with pytest.raises(ValueError, match="start=-5 must be an integer sample index >= 0"):
        Container({"wave": runs}, fs=250, start=-5)
    with pytest.raises(ValueError, match="is not JSON-serializable"):
        dumps(Container({"wave": runs}, fs=250, attrs={"x": object()}))
