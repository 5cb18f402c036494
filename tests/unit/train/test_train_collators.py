"""The packed and padding collators carry a per-position example index (what the training-dynamics recorder reads),
on hand-made rows. Training dynamics on real runs are in tests/integration/train/test_train_dynamics.py."""

from __future__ import annotations


def test_collators_carry_a_per_position_example_index():
    from classit_train.data.packing import PackedCollator, PaddingCollator

    rows = [{"input_ids": [1, 2, 3, 4, 5], "labels": [-100, 2, 3, 4, 5], "lengths": [2, 3], "num_words": 1,
             "example_index": [7, 9]},
            {"input_ids": [6, 7], "labels": [-100, 7], "lengths": [2], "num_words": 1, "example_index": [4]}]
    assert PackedCollator(0)(rows)["example_index"].tolist() == [[7, 7, 9, 9, 9], [4, 4, -1, -1, -1]]
    assert PackedCollator(0, flatten=True)(rows)["example_index"].tolist() == [[7, 7, 9, 9, 9, 4, 4]]
    single = [{**rows[1]}, {"input_ids": [1, 2, 3], "labels": [-100, 2, 3], "lengths": [3], "num_words": 1,
                            "example_index": [2]}]
    assert PaddingCollator(0)(single)["example_index"].tolist() == [[4, 4, -1], [2, 2, 2]]
    no_index = [{k: v for k, v in r.items() if k != "example_index"} for r in rows]
    assert "example_index" not in PackedCollator(0)(no_index)
