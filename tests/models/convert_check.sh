#!/usr/bin/env bash
# `anymal convert` end to end, and the Hugging Face directories that must fail cleanly: each
# broken config.json or lying safetensors header is a one-line error naming the file and the
# field or tensor, exit code 2, and no output file left behind.
# Usage: convert_check.sh ANYMAL_BINARY FIXTURES_DIR
set -euo pipefail
anymal=$1
fixtures=$2
hf="$fixtures/hf/tiny-hf-llama"
if [ ! -d "$hf" ]; then echo "no fixtures at $hf: skipped"; exit 0; fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Both directions through the CLI: HF -> GGUF -> HF -> GGUF gives the same GGUF tensors.
"$anymal" convert "$hf" "$out/a.gguf" > /dev/null
"$anymal" convert "$out/a.gguf" --to-hf "$out/hf2" > /dev/null
"$anymal" convert "$out/hf2" "$out/b.gguf" > /dev/null
"$anymal" inspect "$out/a.gguf" | tail -n +2 > "$out/a.txt"
"$anymal" inspect "$out/b.gguf" | tail -n +2 > "$out/b.txt"
cmp -s "$out/a.txt" "$out/b.txt" || fail "round trip changed the file: $(diff "$out/a.txt" "$out/b.txt")"
cmp -s <(tail -c 600000 "$out/a.gguf") <(tail -c 600000 "$out/b.gguf") || fail "round trip changed tensor bytes"
echo "ok: HF -> GGUF -> HF -> GGUF"

expect_error() {  # expect_error PATTERN ARGS...: exit code 2, PATTERN in the one-line stderr
  local pattern=$1; shift
  set +e
  "$anymal" --log-level warn "$@" > /dev/null 2> "$out/err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || fail "exit $rc (want 2) for: $* ($(cat "$out/err"))"
  grep -q "$pattern" "$out/err" || fail "'$pattern' not in: $(cat "$out/err")"
  [ ! -e "$out/x.gguf" ] && [ ! -e "$out/x.gguf.tmp" ] || fail "output left behind for: $*"
  echo "ok: $(head -1 "$out/err")"
}
# broken NAME PYTHON: a copy of the fixture directory, then PYTHON edits it (cfg: config.json
# as a dict, written back; st(edit): rewrites model.safetensors' header through edit(header)).
broken() {
  local dir="$out/$1"
  rm -rf "$dir"; cp -r "$hf" "$dir"; chmod -R u+w "$dir"
  /usr/bin/python3 - "$dir" "$2" <<'PY'
import json, struct, sys
d, code = sys.argv[1], sys.argv[2]
cfg = json.load(open(d + "/config.json"))
def st(edit, raw_len=None):
    b = open(d + "/model.safetensors", "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    edit(h)
    hb = json.dumps(h).encode()
    hb += b" " * (-len(hb) % 8)
    open(d + "/model.safetensors", "wb").write(struct.pack("<Q", raw_len or len(hb)) + hb + b[8 + n:])
exec(code)
json.dump(cfg, open(d + "/config.json", "w"))
PY
  echo "$dir"
}
t=model.layers.0.self_attn.q_proj.weight
expect_error "config.json.*hidden_size" convert "$(broken no_hidden 'del cfg["hidden_size"]')" "$out/x.gguf"
expect_error "config.json.*num_key_value_heads" convert "$(broken heads 'cfg["num_key_value_heads"] = 3')" "$out/x.gguf"
expect_error "config.json.*vocab_size" convert "$(broken vocab 'cfg["vocab_size"] = 1000')" "$out/x.gguf"
expect_error "GPTNeoXForCausalLM" convert "$(broken arch 'cfg["architectures"] = ["GPTNeoXForCausalLM"]')" "$out/x.gguf"
expect_error "config.json" convert "$(broken badjson 'open(d + "/config.json", "w").write("{\"hidden_size\": 64,"); import sys; sys.exit(0)')" "$out/x.gguf"
expect_error "model.safetensors.*$t" convert "$(broken past_end "st(lambda h: h['$t'].update(data_offsets=[600000, 616384]))")" "$out/x.gguf"
expect_error "model.safetensors.*overlap" convert "$(broken overlap "st(lambda h: h['$t'].update(data_offsets=h['model.embed_tokens.weight']['data_offsets'][:1] + [h['model.embed_tokens.weight']['data_offsets'][0] + 16384]))")" "$out/x.gguf"
expect_error "model.safetensors.*header" convert "$(broken huge_header 'st(lambda h: None, raw_len=2 << 30)')" "$out/x.gguf"
expect_error "model.safetensors.*$t.*dtype" convert "$(broken dtype "st(lambda h: h['$t'].update(dtype='F33'))")" "$out/x.gguf"
expect_error "model.safetensors.*$t.*shape" convert "$(broken shape "st(lambda h: h['$t'].update(shape=[64, 65]))")" "$out/x.gguf"
expect_error "missing tensor model.layers.1.mlp.up_proj.weight" convert "$(broken missing "st(lambda h: h.pop('model.layers.1.mlp.up_proj.weight'))")" "$out/x.gguf"
expect_error "model.safetensors" logits -m "$(broken truncated 'open(d + "/model.safetensors", "r+b").truncate(100000)')" --prompt-file "$fixtures/llm/prompts/p1.txt" --out "$out/x"
expect_error "tokenizer.model" convert "$(broken no_tokenizer 'import os; os.remove(d + "/tokenizer.model")')" "$out/x.gguf"
expect_error "already a Hugging Face directory" convert "$hf" --to-hf "$out/x.gguf"
expect_error "already holds a Hugging Face model" convert "$out/a.gguf" --to-hf "$out/hf2"
expect_error "same path" convert "$out/a.gguf" "$out/a.gguf"
echo "all convert checks passed"
