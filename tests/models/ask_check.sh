#!/usr/bin/env bash
# `anymal ask` end to end on the fixture LLaVA pair (random weights: the answer is noise, its
# logits are checked by logits_check.sh): an answer streams, and each bad input is a one-line
# error with exit code 2. Usage: ask_check.sh ANYMAL_BINARY FIXTURES_DIR
set -euo pipefail
anymal=$1
fixtures=$2
if [ ! -d "$fixtures/vision" ]; then echo "no fixtures at $fixtures: skipped"; exit 0; fi
llm="$fixtures/llm/tiny-llama-mha-f16.gguf"
mmproj="$fixtures/vision/tiny-clip-llava-mmproj-f16.gguf"
img="$fixtures/vision/images/img1.png"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

expect_error() {  # expect_error PATTERN ARGS...: exit code 2 and PATTERN in stderr
  local pattern=$1; shift
  set +e
  "$anymal" "$@" > /dev/null 2> "$out/err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || fail "exit $rc (want 2) for: $*"
  grep -q "$pattern" "$out/err" || fail "'$pattern' not in: $(cat "$out/err")"
  echo "ok: $(head -1 "$out/err")"
}

# The bundled demo model (models/demo) when no -m is given: an example it answers right.
demo=$(dirname "$0")/../../models/demo
if [ -f "$demo/model.gguf" ]; then
  examples=$(dirname "$0")/../../examples
  got=$("$anymal" ask --image "$examples/butterfly.png" "What butterfly is this?")
  [ "$got" = " cabbage white" ] || fail "demo model answered '$got' (want ' cabbage white')"
  echo "demo: ask without -m answers '$got'"
  # It hears and feels: a sound, a motion, and a question asked only aloud.
  got=$("$anymal" ask --audio "$examples/doorbell.wav" "What's that sound?")
  [ "$got" = " a doorbell" ] || fail "demo model heard '$got' (want ' a doorbell')"
  got=$("$anymal" ask --imu "$examples/walking.csv" "What am I doing?")
  [ "$got" = " walking" ] || fail "demo model felt '$got' (want ' walking')"
  got=$("$anymal" ask --image "$examples/butterfly.png" --audio "$examples/what_butterfly.wav")
  [ "$got" = " cabbage white" ] || fail "demo model answered the spoken question with '$got'"
  # chat: /audio and /imu attach inputs to the next message (the demo model is trained on
  # single turns: /reset between the questions).
  printf '/audio %s\nWhat is that sound?\n/reset\n/imu %s\nDid I nod or shake my head?\n' \
    "$examples/dog.wav" "$examples/nod.csv" | "$anymal" chat > "$out/demo_chat.out" 2> /dev/null ||
    fail "chat exited with $?"
  grep -q "a dog barking" "$out/demo_chat.out" || fail "chat heard: $(cat "$out/demo_chat.out")"
  grep -q "you nodded: yes" "$out/demo_chat.out" || fail "chat felt: $(cat "$out/demo_chat.out")"
  echo "demo: hears '$(head -1 "$out/demo_chat.out")', feels '$(tail -1 "$out/demo_chat.out")'"
  # Bad audio and motion are one-line errors.
  head -c 300 "$examples/doorbell.wav" > "$out/cut.wav"
  printf 't,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,nan\n0.02,0,0,9.8,0,0,0\n' > "$out/nan.csv"
  printf 't,ax,ay,az,gx,gy,gz\n0.02,0,0,9.8,0,0,0\n0.01,0,0,9.8,0,0,0\n' > "$out/backwards.csv"
  expect_error "nan" ask --imu "$out/nan.csv" "What am I doing?"
  expect_error "increasing" ask --imu "$out/backwards.csv" "What am I doing?"
  expect_error "needs an input" ask "What am I doing?"
  expect_error "needs a question" ask --image "$examples/butterfly.png"
  "$anymal" ask --audio "$out/cut.wav" "What's that sound?" > /dev/null 2>&1 ||
    fail "a WAV cut short is read up to where it ends"
  : > "$out/empty.wav"
  expect_error "empty" ask --audio "$out/empty.wav" "What's that sound?"
  expect_error "no audio encoder" ask -m "$llm" --mmproj "$mmproj" --audio "$examples/doorbell.wav" "q"
fi

answer=$("$anymal" ask -m "$llm" --mmproj "$mmproj" --image "$img" "What is in this picture?" -n 12)
[ -n "$answer" ] || fail "empty answer"

head -c 100 "$fixtures/vision/images/img2.png" > "$out/truncated.png"
: > "$out/empty.jpg"
printf 'P6\n100000 100000\n255\n' > "$out/huge.ppm"
expect_error "truncated PNG" ask -m "$llm" --mmproj "$mmproj" --image "$out/truncated.png" "q"
expect_error "empty" ask -m "$llm" --mmproj "$mmproj" --image "$out/empty.jpg" "q"
expect_error "megapixels" ask -m "$llm" --mmproj "$mmproj" --image "$out/huge.ppm" "q"
expect_error "another model" ask -m "$fixtures/llm/tiny-llama-gqa-f16.gguf" --mmproj "$mmproj" --image "$img" "q"
expect_error "needs -m" ask --mmproj "$mmproj" --image "$img" "q"
printf 'USER: <image> and <image>\nASSISTANT:' > "$out/two.txt"
expect_error "more than one <image>" logits -m "$llm" --mmproj "$mmproj" --image "$img" --prompt-file "$out/two.txt" --out "$out/two"
# chat: a bad image is reported and the conversation goes on; /reset; the same image twice.
printf '/image %s\nwhat is this?\n/image %s\nand this?\nmore\n/reset\n/image %s\nagain\n' \
  "$out/truncated.png" "$img" "$img" |
  "$anymal" chat -m "$llm" --mmproj "$mmproj" -n 4 > "$out/chat.out" 2> "$out/chat.err" ||
  fail "chat exited with $?"
grep -q "truncated PNG" "$out/chat.err" || fail "chat did not report the bad image"
[ "$(wc -l < "$out/chat.out")" -eq 3 ] || fail "chat: want 3 answers, got: $(cat "$out/chat.out")"
echo "ask: answer '$answer'; chat: 3 answers"
