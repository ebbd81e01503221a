#!/usr/bin/env bash
# Throughput benchmark: `nianbao check` over N synthetic reports, against
# ripgrep scanning the same corpus with the rule pack's regexes as a yardstick.
#
# Usage (from the repo root): bash bench/run.sh [N]   (default N=10000)
set -euo pipefail

N="${1:-10000}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/nianbao"

log() { printf '%s\n' "$*" >&2; }

# --- 1. tools and binary ----------------------------------------------------
need_pkgs=()
command -v rg >/dev/null 2>&1 || need_pkgs+=(ripgrep)
[ -x /usr/bin/time ] || need_pkgs+=(time)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    log "installing: ${need_pkgs[*]}"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
command -v python3 >/dev/null 2>&1 || { log "python3 is required"; exit 1; }

log "building release binary into $TARGET_DIR"
cargo build --release --quiet

# --- 2. corpus ----------------------------------------------------------------
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CORPUS="$WORK/corpus"
mkdir -p "$CORPUS"

# Copies are taken round-robin from samples/*.txt. Each gets a unique trailing
# line so every file has a distinct content id; it goes last so the title and
# header heuristics see exactly the sample's own opening lines.
python3 - "$N" "$CORPUS" samples/*.txt <<'PY'
import os, sys
n, out, srcs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
if not srcs:
    sys.exit("no samples/*.txt found")
blobs = [open(p, "rb").read() for p in sorted(srcs)]
for i in range(n):
    b = blobs[i % len(blobs)]
    if not b.endswith(b"\n"):
        b += b"\n"
    with open(os.path.join(out, f"r{i:06d}.txt"), "wb") as f:
        f.write(b + f"副本编号 {i}\n".encode("utf-8"))
PY

CORPUS_BYTES="$(du -sb "$CORPUS" | cut -f1)"
FILES="$(find "$CORPUS" -type f | wc -l)"
log "corpus: $FILES files, $CORPUS_BYTES bytes (du -sb)"

# --- 3. yardstick patterns -----------------------------------------------------
# Every string under a `pattern:` key in rules/**/*.yaml, except templated ones
# (`{k.pattern}`-style placeholders are filled per item at compile time).
# Named groups are made anonymous: ripgrep joins all -f patterns into one
# alternation, where a repeated `value` group name would be rejected; matching
# is unchanged.
RAW="$WORK/patterns.raw"
PATS="$WORK/patterns.txt"
python3 - "$RAW" <<'PY'
import glob, re, sys, yaml
out = []
skipped = 0
def walk(node):
    global skipped
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "pattern" and isinstance(v, str):
                if re.search(r"\{[A-Za-z_][\w.]*\}", v):
                    skipped += 1
                else:
                    out.append(re.sub(r"\(\?P?<([A-Za-z_]\w*)>", "(", v))
            else:
                walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)
for path in sorted(glob.glob("rules/**/*.yaml", recursive=True)):
    with open(path, encoding="utf-8") as f:
        for doc in yaml.safe_load_all(f):
            walk(doc)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for p in out:
        if "\n" in p:          # -f is line-based; such a pattern cannot be passed
            skipped += 1
            continue
        f.write(p + "\n")
print(f"patterns: {len(out)} extracted, {skipped} templated/multi-line skipped", file=sys.stderr)
PY

: >"$PATS"
dropped=0
one="$WORK/one.txt"
while IFS= read -r p; do
    printf '%s\n' "$p" >"$one"
    rc=0
    rg --no-config -q -f "$one" /dev/null 2>"$WORK/rg.err" || rc=$?
    if [ "$rc" -eq 2 ]; then
        dropped=$((dropped + 1))
        log "rg rejects pattern (dropped): $p"
        log "    $(grep -m1 -i 'error' "$WORK/rg.err" || head -n1 "$WORK/rg.err")"
    else
        printf '%s\n' "$p" >>"$PATS"
    fi
done <"$RAW"
KEPT="$(wc -l <"$PATS")"
log "patterns: $KEPT used by rg, $dropped rejected by rg"

# --- 4. timing ------------------------------------------------------------------
# Best-of-3 wall time; peak RSS reported for that same run.
best_wall=""; best_rss=""
time3() {
    best_wall=""; best_rss=""
    local i w m
    for i in $(seq 1 "${RUNS:-3}"); do
        /usr/bin/time -f "%e %M" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/cmd.err" || {
            local rc=$?
            # rg exits 1 when nothing matched; that is still a valid timing.
            if ! { [ "$1" = rg ] && [ "$rc" -eq 1 ]; }; then
                log "command failed (rc=$rc): $*"; cat "$WORK/cmd.err" >&2; exit 1
            fi
        }
        read -r w m < <(tail -n1 "$WORK/time.out")
        log "  run $i: ${w}s ${m}KiB  ($1)"
        if [ -z "$best_wall" ] || python3 -c "import sys; sys.exit(0 if float('$w') < float('$best_wall') else 1)"; then
            best_wall="$w"; best_rss="$m"
        fi
    done
}

log "timing rg"
time3 rg --no-config -c -f "$PATS" "$CORPUS"
RG_WALL="$best_wall"; RG_RSS="$best_rss"

log "timing rg with one literal (raw scanning speed)"
time3 rg --no-config -c -F 政府信息公开 "$CORPUS"
RGL_WALL="$best_wall"; RGL_RSS="$best_rss"

log "timing nianbao check"
time3 "$BIN" check "$CORPUS" --fail-on never
NB_WALL="$best_wall"; NB_RSS="$best_rss"

# --- 5. report --------------------------------------------------------------------
CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
python3 - "$FILES" "$CORPUS_BYTES" "$RG_WALL" "$RG_RSS" "$NB_WALL" "$NB_RSS" \
    "$(nproc)" "${CPU:-unknown}" "$KEPT" "$dropped" "$RGL_WALL" "$RGL_RSS" "${RUNS:-3}" <<'PY'
import sys
files, size = int(sys.argv[1]), int(sys.argv[2])
rg_w, rg_m, nb_w, nb_m = (float(x) for x in sys.argv[3:7])
ncpu, cpu, kept, dropped = sys.argv[7], sys.argv[8], sys.argv[9], sys.argv[10]
rgl_w, rgl_m, runs = float(sys.argv[11]), float(sys.argv[12]), sys.argv[13]
mb = size / 1e6
def row(name, w, m, ratio):
    w_ = max(w, 0.005)  # /usr/bin/time has 10 ms resolution
    return f"| {name} | {w:.2f} | {files / w_:,.0f} | {mb / w_:,.1f} | {m / 1024:,.1f} | {ratio} |"
print()
print(f"Machine: {ncpu} CPUs, {cpu}")
print(f"Corpus: {files} reports, {size:,} bytes ({mb:.1f} MB, du -sb)")
print(f"Yardstick: rg with {kept} rule-pack patterns ({dropped} rejected by rg and dropped)")
print()
print(f"| tool | wall s (best of {runs}) | reports/s | MB/s | peak RSS MiB | ratio check/rg |")
print("|---|---:|---:|---:|---:|---:|")
print(row("rg -c -f patterns", rg_w, rg_m, "1.00"))
print(row("nianbao check", nb_w, nb_m, f"{nb_w / max(rg_w, 0.005):.2f}"))
print(row("rg -c -F 政府信息公开 (one literal)", rgl_w, rgl_m, f"(check is {nb_w / max(rgl_w, 0.005):.1f}x this)"))
print()
print(f"Peak memory / corpus size: nianbao {nb_m * 1024 / size:.2f}x, rg {rg_m * 1024 / size:.2f}x")
PY
