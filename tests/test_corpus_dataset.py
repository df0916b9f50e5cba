"""The streaming dataset: blocks, shards without overlap, seeded shuffling, resuming, and a tiny causal LM."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from openecg.corpus import CorpusDataset, open_store, tokenize  # noqa: E402
from openecg.tokenizer.ids import BOS_ID, EOS_ID, PAD_ID, VOCAB  # noqa: E402


@pytest.fixture(scope="module")
def store(tmp_path_factory, data_dir):
    records = sorted((data_dir / "ludb" / "data").glob("*.hea"))[:10]
    path = tmp_path_factory.mktemp("dataset") / "store"
    tokenize([str(p) for p in records], path, per_lead=True, batch_size=5, progress=False)
    return path


def tokens(items) -> np.ndarray:
    """The real (unpadded) tokens of a list of items, concatenated."""
    return np.concatenate([item["input_ids"][item["attention_mask"] == 1].numpy() for item in items])


def test_blocks_cover_every_record_once_across_ranks_and_workers(store):
    reader = open_store(store)
    expected = np.concatenate([reader.ids(i) for i in range(reader.n_records)]).astype(np.int64)
    seen = []
    for rank in range(2):
        dataset = CorpusDataset(store, seq_len=48, group=2, shuffle_buffer=4, seed=3, rank=rank, world_size=2)
        loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2)
        seen.append(tokens(list(loader)))
    got = np.concatenate(seen)
    assert np.array_equal(np.bincount(got, minlength=len(VOCAB)), np.bincount(expected, minlength=len(VOCAB)))
    assert (got == BOS_ID).sum() == reader.n_records == (got == EOS_ID).sum()


def test_unshuffled_packed_blocks_are_the_store_in_order(store):
    reader = open_store(store)
    items = list(CorpusDataset(store, seq_len=64, shuffle=False))
    stream = np.concatenate([reader.ids(i) for i in range(reader.n_records)])
    assert np.array_equal(tokens(items), stream)
    assert all(item["attention_mask"].all() for item in items[:-1])
    last = items[-1]
    assert (last["input_ids"][last["attention_mask"] == 0] == PAD_ID).all()
    assert (last["labels"][last["attention_mask"] == 0] == -100).all()


def test_one_record_per_sequence_and_per_lead_streams(store):
    reader = open_store(store)
    items = list(CorpusDataset(store, seq_len=256, packed=False, shuffle=False))
    assert len(items) == reader.n_records  # every LUDB consensus stream fits in 256 tokens
    assert all(item["input_ids"][0] == BOS_ID for item in items)
    leads = list(CorpusDataset(store, seq_len=256, packed=False, streams="leads", shuffle=False))
    assert len(leads) == 12 * reader.n_records


def test_shuffle_is_seeded_and_changes_with_the_epoch(store):
    def order(**options):
        return [item["input_ids"].tolist() for item in CorpusDataset(store, seq_len=32, group=1, **options)]

    assert order(seed=1) == order(seed=1)
    assert order(seed=1) != order(seed=2)
    assert order(seed=1, epoch=0) != order(seed=1, epoch=1)
    assert sorted(order(seed=1, packed=False)) == sorted(order(seed=1, epoch=1, packed=False))


def test_resume_from_a_step_gives_the_remaining_batches(store):
    def batches(start_step: int) -> list[list[int]]:
        dataset = CorpusDataset(store, seq_len=32, group=2, seed=5, epoch=2, start_step=start_step, batch_size=3)
        loader = torch.utils.data.DataLoader(dataset, batch_size=3, num_workers=2)
        return [batch["input_ids"].tolist() for batch in loader]

    full = batches(0)
    assert len(full) > 6
    assert batches(5) == full[5:]
    assert batches(4) == full[4:]


def test_refusals(store, tmp_path):
    with pytest.raises(ValueError, match="seq_len=0"):
        CorpusDataset(store, seq_len=0)
    with pytest.raises(ValueError, match="streams='lead'"):
        CorpusDataset(store, streams="lead")
    with pytest.raises(ValueError, match="rank=2"):
        CorpusDataset(store, rank=2, world_size=2)
    with pytest.raises(ValueError, match="no finished generation"):
        CorpusDataset(tmp_path)


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: more threads only contend on a shared machine
    yield
    torch.set_num_threads(threads)


def test_tiny_causal_lm_loss_falls(store, one_thread):
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    seq_len = 64
    config = GPT2Config(vocab_size=len(VOCAB), n_positions=seq_len, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID)
    model = GPT2LMHeadModel(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    epoch = 0
    while len(losses) < 40:
        dataset = CorpusDataset(store, seq_len=seq_len, streams="leads", seed=0, epoch=epoch)
        for batch in torch.utils.data.DataLoader(dataset, batch_size=8):
            loss = model(**batch).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss))
            if len(losses) == 40:
                break
        epoch += 1
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    assert first > 7 and last < first - 2, (first, last)
