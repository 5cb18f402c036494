"""Sizes and sha256 of files of the official BabyLM 2025 evaluation release (relative to ``evaluation_data/``).

Source: a third-party manifest of the official data (github.com/Oxelra-AI/Qiushi-Engine-Babylm-Research @ 67bab01,
``strict_evaluation_data_manifest.jsonl``), cross-checked where this project's development copy has the file
(reading_data.csv, boolq/multirc valid, aoa/cdi_childes.json match). It lists no WUG or EWoK files. Used by
``classit-eval data fetch`` (a download must match) and ``classit-eval data check``.
"""

# relative path -> (size in bytes, sha256)
OFFICIAL_FILES: dict[str, tuple[int, str]] = {
    "full_eval/aoa/cdi_childes.json": (1914466, "bfb28dbe974970e559c257cda7bfeb6ebefe55478e2de0ce84535d63e9d8b929"),
    "full_eval/aoa/cdi_human.csv": (42174, "fd6e47955fa3efb3889ff97736253fd267a28682283f438247d292c51ce42037"),
    "full_eval/comps/comps_base.jsonl": (14215247, "0e20c242de7321c8ef3745407baaa98008b3fd54b39f050fc49dc103330c8f8b"),
    "full_eval/comps/comps_wugs.jsonl": (6005157, "28ad83a6202a69e973901e8875fff104b38b6a6c324c78d37454294225af1168"),
    "full_eval/comps/comps_wugs_dist-before.jsonl": (6480433, "0a3adffbeba82581db5562f99fe365adaf199f504eb2a79c71a9481db1e7b8b0"),
    "full_eval/comps/comps_wugs_dist-in-between.jsonl": (6536017, "9f82ad76333fd4a23f8c69c313a7eb1da21f1f7e6f8f11361706d7c739ef738c"),
    "full_eval/glue_filtered/boolq.train.jsonl": (6541468, "237efed024a1c944ebd192fd15c360e8bf0cfd3c5d353582178fc53c10333d99"),
    "full_eval/glue_filtered/multirc.train.jsonl": (48751935, "409a911f2f5f671877be60aa2700c26eda2594e6d0d2ec81b77e6070b13d2e64"),
    "full_eval/glue_filtered/boolq.valid.jsonl": (1132714, "09491f5c02730c400e230ee013c2e60a5726ff4e7255f5d8e547c756dc907f81"),
    "full_eval/glue_filtered/multirc.valid.jsonl": (4096348, "4bd20d922cbc1862994c30e15932c61f7fc26d974ef8b12f72668ca3d8c0af7d"),
    "full_eval/reading/reading_data.csv": (615013, "45204bc7ccfb10bdb6140797b5e60e83e9a85cc62d195a84ad4566cb429f0065"),
}
