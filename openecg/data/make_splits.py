"""Write the committed, seeded train/validation splits of every database to ``openecg/data/splits/<name>.json``.

Run from the repository root with the databases available::

    OPENECG_DATA=<folder of databases> python -m openecg.data.make_splits

The manifests ship inside the package. Every split is by record (never by beat or window). Rules:

- mitdb: 5 folds; 118 and 119 (the clean records of NSTDB) go to folds 0 and 1 in seeded order, the paced
  records 102 104 107 217 to four different folds after them, the rest are shuffled and dealt round-robin;
  ``val`` is fold 0.
- nstdb: each noisy record follows the MIT-BIH fold of its clean record (118 or 119).
- qtdb: records derived from an MIT-BIH record present here (``sel116`` <- ``116``) follow that record's fold;
  the others are stratified by source database (record-name prefix) into 5 folds; ``val`` is fold 0 (~20 %).
- ludb: 5 folds stratified by record rhythm class (paced, AF, AV block, BBB, sinus, unlabelled); ``val`` is fold 0.
- cpsc2021: by patient (``data_<patient>_<n>``, so no patient is in both), 3 folds stratified AF / non-AF;
  ``val`` is fold 0 (~30 %).
"""

from __future__ import annotations

import json
import random
import re

from .ludb import _table, ludb_rhythm
from .physionet import cpsc_is_af
from .records import dataset_root, list_records
from .splits import SPLITS_DIR

SEED = 20240601
PACED_MITDB = ("102", "104", "107", "217")
NSTDB_CLEAN = ("118", "119")


def deal(groups: dict[str, list[str]], n_folds: int, rng: random.Random, offset: int = 0) -> list[list[str]]:
    """Shuffle each stratum and deal its items round-robin over the folds, continuing where the last ended."""
    folds: list[list[str]] = [[] for _ in range(n_folds)]
    position = offset
    for key in sorted(groups):
        items = sorted(groups[key])
        rng.shuffle(items)
        for item in items:
            folds[position % n_folds].append(item)
            position += 1
    return folds


def manifest(name: str, folds: list[list[str]]) -> dict:
    folds = [sorted(f, key=lambda r: (len(r), r)) for f in folds]
    train = sorted((r for f in folds[1:] for r in f), key=lambda r: (len(r), r))
    return {"dataset": name, "seed": SEED, "train": train, "val": folds[0], "folds": folds}


def mitdb_folds() -> list[list[str]]:
    rng = random.Random(SEED)
    records = list_records("mitdb")
    noisy = [r for r in records if r in NSTDB_CLEAN]
    paced = [r for r in records if r in PACED_MITDB]
    rest = [r for r in records if r not in PACED_MITDB and r not in NSTDB_CLEAN]
    parts = [
        deal({"nstdb": noisy}, 5, rng),
        deal({"paced": paced}, 5, rng, offset=len(noisy)),
        deal({"other": rest}, 5, rng, offset=len(noisy) + len(paced)),
    ]
    return [sum((part[k] for part in parts), []) for k in range(5)]


def main() -> None:
    out = {}
    mit = mitdb_folds()
    out["mitdb"] = manifest("mitdb", mit)
    fold_of = {r: k for k, f in enumerate(mit) for r in f}

    nst = [[] for _ in range(5)]
    for r in list_records("nstdb"):
        nst[fold_of[r[:3]]].append(r)
    out["nstdb"] = manifest("nstdb", nst)

    rng = random.Random(SEED + 1)
    qt_folds: list[list[str]] = [[] for _ in range(5)]
    strata: dict[str, list[str]] = {}
    for r in list_records("qtdb"):
        if r[3:] in fold_of:
            qt_folds[fold_of[r[3:]]].append(r)
        else:
            strata.setdefault(re.sub(r"\d.*", "", r[3:]) + str(len(r)), []).append(r)
    dealt = deal(strata, 5, rng, offset=0)
    out["qtdb"] = manifest("qtdb", [a + b for a, b in zip(qt_folds, dealt)])

    rng = random.Random(SEED + 2)
    table = _table(str(dataset_root("ludb") / "ludb.csv"))
    ludb_strata: dict[str, list[str]] = {}
    for r in list_records("ludb"):
        ludb_strata.setdefault(str(ludb_rhythm(table[r])), []).append(r)
    out["ludb"] = manifest("ludb", deal(ludb_strata, 5, rng))

    rng = random.Random(SEED + 3)
    patients: dict[str, list[str]] = {}
    af: dict[str, bool] = {}
    root = dataset_root("cpsc2021")
    for r in list_records("cpsc2021"):
        patient = r.rsplit("_", 1)[0]
        patients.setdefault(patient, []).append(r)
        comments = [line[1:] for line in (root / f"{r}.hea").read_text().splitlines() if line.startswith("#")]
        af[patient] = af.get(patient, False) or cpsc_is_af(comments)
    by_class = {"af": [p for p in patients if af[p]], "non_af": [p for p in patients if not af[p]]}
    patient_folds = deal(by_class, 3, rng)
    out["cpsc2021"] = manifest("cpsc2021", [[r for p in f for r in patients[p]] for f in patient_folds])

    SPLITS_DIR.mkdir(parents=True, exist_ok=True)
    for name, content in out.items():
        (SPLITS_DIR / f"{name}.json").write_text(json.dumps(content, indent=1) + "\n")
    for name, content in out.items():
        print(f"{name}: train {len(content['train'])}, val {len(content['val'])}, folds {[len(f) for f in content['folds']]}")


if __name__ == "__main__":
    main()
