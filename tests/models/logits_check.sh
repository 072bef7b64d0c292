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
# check LABEL ARGS...: one fixtures_check.py run, counted and reported.
check() {
  local label=$1 result
  shift
  if result=$(/usr/bin/python3 "$fixtures/../fixtures_check.py" "$@"); then
    echo "$label: $result"
  else
    echo "$label: $result"
    failed=$((failed + 1))
  fi
  checked=$((checked + 1))
}
for model in "$fixtures"/llm/*.gguf; do
  name=$(basename "$model" .gguf)
  flag=""
  case "$name" in *bf16*) flag=--bf16 ;; *q[0-9]*) flag=--quant ;; esac
  for prompt in "$fixtures"/llm/prompts/p*.txt; do
    p=$(basename "$prompt" .txt)
    ref="$fixtures/llm/ref/$name.$p.json"
    [ -f "$ref" ] || continue
    "$anymal" logits -m "$model" --prompt-file "$prompt" --out "$out/$name.$p" > /dev/null
    # shellcheck disable=SC2086
    check "$name $p" "$ref" "$out/$name.$p.json" $flag
  done
done
# A Hugging Face checkpoint: read in place (-m DIR), and converted to q8_0 by anymal convert,
# against llama.cpp's logits for its own conversion of the same checkpoint.
hf="$fixtures/hf"
if [ -d "$hf/tiny-hf-llama" ]; then
  "$anymal" --log-level warn convert "$hf/tiny-hf-llama" "$out/hf-q8_0.gguf" --type q8_0 > /dev/null
  for prompt in "$fixtures"/llm/prompts/p*.txt; do
    p=$(basename "$prompt" .txt)
    ref="$hf/ref/tiny-hf-llama.$p.json"
    [ -f "$ref" ] || continue
    "$anymal" --log-level warn logits -m "$hf/tiny-hf-llama" --prompt-file "$prompt" \
      --out "$out/hf.$p" > /dev/null
    check "hf-dir $p" "$ref" "$out/hf.$p.json"
    "$anymal" logits -m "$out/hf-q8_0.gguf" --prompt-file "$prompt" --out "$out/hfq.$p" > /dev/null
    check "hf-converted-q8_0 $p" "$ref" "$out/hfq.$p.json" --quant
  done
fi
# LLaVA: the tiny clip tower + its language model on each fixture image: logits, and the
# preprocessed pixels and image embeddings as arrays.
vision="$fixtures/vision"
if [ -d "$vision" ]; then
  for img in "$vision"/images/*.png; do
    i=$(basename "$img" .png)
    ref="$vision/ref/tiny-llava.$i"
    [ -f "$ref.json" ] || continue
    "$anymal" logits -m "$fixtures/llm/tiny-llama-mha-f16.gguf" \
      --mmproj "$vision/tiny-clip-llava-mmproj-f16.gguf" --image "$img" \
      --prompt-file "$vision/prompts/v1.txt" --out "$out/llava.$i" > /dev/null
    check "llava $i logits" "$ref.json" "$out/llava.$i.json"
    check "llava $i pixels" --array "$ref.pixels.f32" "$out/llava.$i.pixels.f32" 0.02
    check "llava $i image_embd" --array "$ref.image_embd.f32" "$out/llava.$i.image_embd.f32"
  done
  # The same tower written as a Hugging Face CLIPVisionModel directory and used in place.
  "$anymal" convert "$vision/tiny-clip-llava-mmproj-f16.gguf" --to-hf "$out/clip-hf" > /dev/null
  img="$vision/images/img1.png"
  "$anymal" --log-level warn logits -m "$fixtures/llm/tiny-llama-mha-f16.gguf" \
    --mmproj "$out/clip-hf" --image "$img" --prompt-file "$vision/prompts/v1.txt" \
    --out "$out/llava-hf" > /dev/null
  check "llava img1 via HF dir logits" "$vision/ref/tiny-llava.img1.json" "$out/llava-hf.json"
fi
echo "$checked checked, $failed failed"
[ "$failed" -eq 0 ] && [ "$checked" -gt 0 ]
