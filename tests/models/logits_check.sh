#!/usr/bin/env bash
# `anymal logits` on every fixture model and prompt, checked by ../shared/fixtures_check.py
# (llama.cpp's references, its tolerances: --bf16 / --quant where they apply).
# Usage: logits_check.sh ANYMAL_BINARY FIXTURES_DIR
set -euo pipefail
anymal=$1
fixtures=$2
if [ ! -d "$fixtures/llm" ]; then echo "no fixtures at $fixtures: skipped"; exit 0; fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0
checked=0
for model in "$fixtures"/llm/*.gguf; do
  name=$(basename "$model" .gguf)
  flag=""
  case "$name" in *bf16*) flag=--bf16 ;; *q[0-9]*) flag=--quant ;; esac
  for prompt in "$fixtures"/llm/prompts/p*.txt; do
    p=$(basename "$prompt" .txt)
    ref="$fixtures/llm/ref/$name.$p.json"
    [ -f "$ref" ] || continue
    "$anymal" logits -m "$model" --prompt-file "$prompt" --out "$out/$name.$p" > /dev/null
    if result=$(/usr/bin/python3 "$fixtures/../fixtures_check.py" "$ref" "$out/$name.$p.json" $flag); then
      echo "$name $p: $result"
    else
      echo "$name $p: $result"
      failed=$((failed + 1))
    fi
    checked=$((checked + 1))
  done
done
echo "$checked checked, $failed failed"
[ "$failed" -eq 0 ] && [ "$checked" -gt 0 ]
