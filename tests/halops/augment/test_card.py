"""The data card's augmentation section (halops.datacard._md_augmentation)."""

from __future__ import annotations

import json

from halops.datacard import DataCard

PAIRS = {
    "n_pairs": 5,
    "n_candidates": 7,
    "sessions_mined": 3,
    "duplicates_removed": {"exact": 1, "near": 1},
    "pairs_with_secrets": 1,
    "per_kind_split": {
        "recovery": {"train": 2, "val": 0, "test": 1},
        "safety": {"train": 1, "val": 1, "test": 0},
    },
    "safety": {
        "rule_ids": {"fs.rm_recursive_system": 2},
        "catalogue_entries_not_blocked": {"ssh: zfs destroy -r tank": 3},
    },
}
SYNTHETIC = {
    "endpoint": "http://127.0.0.1:8080/v1",
    "model": "local",
    "per_strategy": {"synthetic_reword": 4},
    "requests_sent": 2,
    "answers_from_cache": 1,
    "training_set": {"real": 10, "synthetic_added": 2, "synthetic_duplicates": 1},
}


def test_without_augmentation_the_card_is_unchanged() -> None:
    assert "## Augmentation" not in DataCard().to_markdown()
    assert DataCard().to_dict()["augmentation"] == {}


def test_pairs_and_synthetic_counts_by_kind() -> None:
    text = DataCard(augmentation={"pairs": PAIRS, "synthetic": SYNTHETIC}).to_markdown()
    section = text.split("## Augmentation", 1)[1].split("## Configuration", 1)[0]
    assert "5 preference pairs kept of 7" in section
    assert "| recovery | 2 | 0 | 1 | 3 |" in section
    assert "| safety | 1 | 1 | 0 | 2 |" in section
    assert "| fs.rm_recursive_system | 2 |" in section
    assert "`ssh: zfs destroy -r tank`" in section
    assert "`http://127.0.0.1:8080/v1` (model `local`)" in section
    assert "2 added to 10 real examples" in section
    assert "| synthetic_reword | 4 |" in section


def test_round_trip_keeps_the_section(tmp_path) -> None:
    card = DataCard(augmentation={"pairs": PAIRS})
    card.write(tmp_path)
    again = DataCard.from_dict(json.loads((tmp_path / "data_card.json").read_text()))
    assert again.to_markdown() == card.to_markdown()
