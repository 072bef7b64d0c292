#!/usr/bin/env bash
# Two hosts on one machine: two network namespaces joined by a veth pair (10.77.N.1 and .2),
# Open MPI launching one rank in each through plm_rsh_agent (`ip netns exec` instead of ssh),
# out-of-band and MPI traffic over TCP on that link only — no shared memory between the
# "hosts". `anymal doctor` sees both ranks and their bandwidth, and a short ZeRO-2 training
# run completes with the weights of one process accumulating two micro-batches.
# Needs root (CAP_NET_ADMIN) and iproute2; exits 77 (skipped) where namespaces cannot be made.
# Usage: netns_check.sh ANYMAL_BINARY
set -euo pipefail
anymal=$(readlink -f "$1")
fail() { echo "FAIL: $*"; exit 1; }
command -v mpirun > /dev/null || fail "mpirun not found (scripts/install-deps.sh installs openmpi-bin)"
tag=$$
a=anymal-$tag-a b=anymal-$tag-b net=10.77.$((tag % 250)).0
tmp=$(mktemp -d)
cleanup() {
  ip netns del "$a" 2> /dev/null || true
  ip netns del "$b" 2> /dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
if ! ip netns add "$a" 2> /dev/null; then
  echo "SKIP: cannot create network namespaces here (needs root and CAP_NET_ADMIN)"
  exit 77
fi
ip netns add "$b"
ip link add "va$tag" type veth peer name "vb$tag"
ip link set "va$tag" netns "$a"
ip link set "vb$tag" netns "$b"
ip -n "$a" addr add "${net%.0}.1/24" dev "va$tag"
ip -n "$b" addr add "${net%.0}.2/24" dev "vb$tag"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "va$tag" up
ip -n "$b" link set "vb$tag" up

# The launcher's "remote shell": the host name is the namespace. The two "hosts" share /tmp
# and a host name, so the remote one gets a temporary directory of its own: otherwise its
# daemon and mpirun race to create the same Open MPI session directory ("File exists").
mkdir -p "$tmp/remote-tmp"
cat > "$tmp/agent.sh" << SH
#!/bin/sh
host=\$1
shift
exec ip netns exec "\$host" env TMPDIR="$tmp/remote-tmp" /bin/sh -c "\$*"
SH
chmod +x "$tmp/agent.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cluster=(timeout 120 ip netns exec "$a" mpirun --host "$a,$b" -np 2
  --mca plm_rsh_agent "$tmp/agent.sh" --mca oob_tcp_if_include "$net/24"
  --mca btl self,tcp --mca btl_tcp_if_include "$net/24")

"${cluster[@]}" sh -c 'echo "rank $OMPI_COMM_WORLD_RANK in $(ip netns identify)"' \
  > "$tmp/where.log" 2>&1 || fail "launch across namespaces: $(cat "$tmp/where.log")"
grep -qx "rank 0 in $a" "$tmp/where.log" && grep -qx "rank 1 in $b" "$tmp/where.log" ||
  fail "ranks not one per namespace: $(cat "$tmp/where.log")"
"${cluster[@]}" "$anymal" --threads 1 doctor --mb 4 > "$tmp/doctor.log" 2>&1 ||
  fail "doctor: $(cat "$tmp/doctor.log")"
grep -q "all-reduce of 4 MiB over 2 ranks" "$tmp/doctor.log" || fail "$(cat "$tmp/doctor.log")"

cd "$tmp"
"$anymal" data synth --out data --n 120 --seed 1 --split train --size 80 > /dev/null
cat > recipe.json << 'JSON'
{"seed": 1, "data": {"train": "data/train.jsonl"}, "tokenizer": {"vocab_size": 300},
 "model": {"lm": {"dim": 32, "n_layer": 2, "n_head": 4, "n_kv_head": 2, "ff": 64, "ctx": 96},
           "vit": {"image_size": 32, "patch": 8, "dim": 24, "n_layer": 1, "n_head": 2, "ff": 48}},
 "checkpoint": {"every": 5, "keep": 2}, "log_every": 5,
 "stages": [
   {"name": "text", "kind": "text", "steps": 5, "batch": 8, "lr": 3e-3, "train": ["lm"]},
   {"name": "instruct", "kind": "multimodal", "steps": 5, "batch": 8, "lr": 3e-3,
    "train": ["projector", "lora"], "lora_rank": 4}]}
JSON
sed 's/"lr": 3e-3,/"lr": 3e-3, "accumulate": 2,/' recipe.json > accumulate.json
"${cluster[@]}" "$anymal" --threads 1 train recipe.json --out two-hosts --quiet --shard gradients \
  > train.log 2>&1 || fail "training across namespaces: $(cat train.log)"
"$anymal" --threads 1 train accumulate.json --out one --quiet 2> one.log || fail "$(cat one.log)"
for f in export/model.gguf export/mmproj.gguf; do
  cmp -s "one/$f" "two-hosts/$f" || fail "$f: two hosts differ from one process"
done
sed -n 's/.*\(all-reduce of 4 MiB over 2 ranks: [0-9.]* GB\/s\).*/\1/p' "$tmp/doctor.log"
echo "two namespaces as two hosts (TCP only): doctor and a ZeRO-2 run, equal to one process"
