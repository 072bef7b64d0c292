#!/usr/bin/env bash
# The training issue's ablations on a recipe, at equal compute (the same steps per stage):
#   base                      the recipe as written (mlp projector, with caption alignment)
#   no-align                  without the alignment stage (instruction tuning directly)
#   perceiver-2 / perceiver-6 the Perceiver resampler (16 queries) of depth 2 and 6
# Each variant is trained in RUN_ROOT/<variant>, evaluated on TEST, and the table printed
# (markdown, for a model card). Usage: scripts/ablation.sh CONFIG DATA_DIR TEST RUN_ROOT
set -euo pipefail
config=$1
data=$2
test=$3
root=$4
bin=$(dirname "$0")/../build/bin/anymal
mkdir -p "$root"
for variant in base no-align perceiver-2 perceiver-6; do
  dir="$root/$variant"
  if [ ! -f "$dir/eval.json" ]; then
    mkdir -p "$dir"
    /usr/bin/python3 - "$config" "$variant" "$dir/recipe.json" "$(cd "$data" && pwd)" <<'PY'
import json, os, sys
config, variant, out, data = sys.argv[1:]
r = json.load(open(config))
r["data"]["train"] = os.path.join(data, os.path.basename(r["data"]["train"]))
if variant == "no-align":
    r["stages"] = [s for s in r["stages"] if s.get("name") != "align"]
if variant.startswith("perceiver"):
    r["model"]["projector"] = "perceiver"
    r["model"]["perceiver_layers"] = int(variant.split("-")[1])
    r["model"]["perceiver_queries"] = 16
json.dump(r, open(out, "w"), indent=1)
PY
    start=$(date +%s)
    "$bin" train "$dir/recipe.json" --out "$dir/run" --quiet 2> "$dir/train.log"
    echo $(( $(date +%s) - start )) > "$dir/seconds"
    "$bin" eval -m "$dir/run" --data "$test" --json "$dir/eval.json" > "$dir/eval.txt"
  fi
done
/usr/bin/python3 - "$root" <<'PY'
import json, os, sys
root = sys.argv[1]
variants = ["base", "no-align", "perceiver-2", "perceiver-6"]
evals = {v: json.load(open(os.path.join(root, v, "eval.json"))) for v in variants}
tasks = sorted(k for k in evals["base"] if k not in ("overall", "heldout"))
print("| task | " + " | ".join(variants) + " |")
print("|---|" + "---:|" * len(variants))
for t in tasks + ["overall", "heldout"]:
    print(f"| {t} | " + " | ".join(f"{100 * evals[v].get(t, 0):.1f}%" for v in variants) + " |")
secs = [open(os.path.join(root, v, "seconds")).read().strip() + " s" for v in variants]
print("| train time | " + " | ".join(secs) + " |")
PY
