#!/usr/bin/env bash
# CI job: the OLDEST declared dependency versions installed together -- every `name>=X` floor of pyproject.toml
# pinned to `name==X` -- then the whole test suite, a short training and a short evaluation on them.
#   bash .ci/compat.sh [VENV_DIR]      (default: a fresh temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
VENV=${1:-$(mktemp -d)/venv-floors}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PIP_DISABLE_PIP_VERSION_CHECK=1
start=$(date +%s)

FLOORS=$(mktemp)
python3 - "$FLOORS" <<'PY'
import re, sys, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
pins = []
for dep in deps:
    m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][^,;\s]*)", dep)
    if not m:
        sys.exit(f"pyproject.toml: dependency {dep!r} has no >= floor")
    pins.append(f"{m.group(1)}=={m.group(2)}")
open(sys.argv[1], "w").write("\n".join(pins) + "\n")
print("floors:", " ".join(pins))
PY

if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
. "$VENV/bin/activate"
pip install -q --upgrade pip
pip install -q -c "$FLOORS" ".[dev]"       # the resolver must accept all floors together
python - "$FLOORS" <<'PY'
import importlib.metadata as md, sys
from packaging.version import Version
bad = []
for line in open(sys.argv[1]):
    name, version = line.strip().split("==")
    if Version(Version(md.version(name)).public) != Version(version):  # 2.13.0+cpu counts as 2.13
        bad.append(f"{name} {md.version(name)} != {version}")
assert not bad, "not the floor versions: " + ", ".join(bad)
print("installed at the floors; python", sys.version.split()[0])
PY
pip install -q --force-reinstall --no-deps .   # the package as it is now (not a cached build)

# The whole test suite (unit and integration, on the floor versions; the task pack and tests read the checkout's files).
python -m pytest -q -p no:cacheprovider tests

# A short training (tokenizer -> tiny base -> merged/sequential) and a short evaluation, installed commands only.
DATA=$(cd "${CLASSIT_DEMO_DATA:-$REPO/../shared/data}" && pwd)
WORK=$(mktemp -d)
(cd "$WORK" && classit-train demo --data_dir "$DATA" --output_path train --max_records 100 \
   --set training.max_steps=8 --set training.disable_tqdm=true)
(cd "$WORK" && classit-eval --model_args pretrained=train/tiny-merged/final --tasks classit_blimp_supplement_fast \
   --data_dir "$DATA/babylm_eval_2025" --device cpu --limit 20 --output_path eval)
echo "compat job (oldest declared versions) passed in $(( $(date +%s) - start )) s"
