#!/usr/bin/env bash
# Throughput benchmark against the shared yardstick (../shared/bench/, see its README):
# `nianbao check DIR --format text` against `rg -c -f ../shared/bench/patterns.txt DIR` over the
# same corpus from `../shared/bench/make_corpus.py N`, at each size given.
#
# Usage (from anywhere): bash bench/run.sh [N ...]      (default: 1000 10000 100000)
#   RUNS=3            runs of each command per size; the table shows the median wall time
#   BENCH_CORPUS=DIR  where the corpora are generated once and reused (default target/bench-corpus)
#
# The table on stdout is meant to be pasted as is; progress goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
YARD="$ROOT/../shared/bench"
SIZES=("$@")
[ "${#SIZES[@]}" -gt 0 ] || SIZES=(1000 10000 100000)
RUNS="${RUNS:-3}"
CORPORA="${BENCH_CORPUS:-$ROOT/target/bench-corpus}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/nianbao"

log() { printf '%s\n' "$*" >&2; }

[ -f "$YARD/make_corpus.py" ] && [ -f "$YARD/patterns.txt" ] || {
    log "the yardstick is missing: expected $YARD/make_corpus.py and $YARD/patterns.txt (../shared beside the checkout)"
    exit 1
}
command -v python3 >/dev/null 2>&1 || { log "python3 is required"; exit 1; }

# --- ripgrep -------------------------------------------------------------------------------------
if ! command -v rg >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    log "ripgrep (rg) is not installed: installing the Debian package 'ripgrep' with apt-get"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ripgrep >/dev/null
    command -v rg >/dev/null 2>&1 || { log "installing ripgrep failed"; exit 1; }
fi

log "building the release binary ($BIN)"
cargo build --release --quiet

# --- corpora, generated once per size and reused ---------------------------------------------------
# A corpus is reused only when it was written by the same generator from the same seeds.
STAMP="$(cat "$YARD/make_corpus.py" "$ROOT"/../shared/seeds/*.txt | sha256sum | cut -c1-16)"
for n in "${SIZES[@]}"; do
    dir="$CORPORA/$n"
    if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$STAMP" ]; then
        log "generating $n reports into $dir"
        rm -rf "$dir"
        mkdir -p "$dir"
        python3 "$YARD/make_corpus.py" "$n" "$dir/reports"
        echo "$STAMP" >"$dir/.stamp"
    fi
done

# --- timing and the table -----------------------------------------------------------------------------
CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$BIN" "$YARD/patterns.txt" "$CORPORA" "$RUNS" "$(nproc)" "${CPU:-unknown}" "$LOAD" \
    "$(rg --version | head -n1)" "${SIZES[@]}" <<'PY'
import os, statistics, subprocess, sys, time

binary, patterns, corpora, runs, ncpu, cpu, load = sys.argv[1:8]
rg_version = sys.argv[8]
sizes = [int(s) for s in sys.argv[9:]]
runs = int(runs)

def log(msg):
    print(msg, file=sys.stderr, flush=True)

def measure(cmd, ok_codes):
    """Wall seconds and peak RSS (KiB) of one run, from wait4's rusage of the child."""
    with open(os.devnull, "wb") as null:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in ok_codes:
        sys.exit(f"command failed (exit {code}): {' '.join(cmd)}\n{err.decode(errors='replace')}")
    return wall, ru.ru_maxrss

def median_of(cmd, ok_codes, name):
    results = []
    for i in range(runs):
        w, m = measure(cmd, ok_codes)
        log(f"  {name} run {i + 1}/{runs}: {w:.3f} s, {m / 1024:.1f} MiB")
        results.append((w, m))
    return statistics.median(w for w, _ in results), max(m for _, m in results)

def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(d, f))
    return total

rows = []
for n in sizes:
    reports = os.path.join(corpora, str(n), "reports")
    size = du(reports)
    files = sum(len(f) for _, _, f in os.walk(reports))
    log(f"{n} reports ({size / 1e6:.1f} MB): timing rg, then nianbao check")
    # Warm the page cache so neither tool pays for the first read.
    subprocess.run(["rg", "--no-config", "-c", "-f", patterns, reports], stdout=subprocess.DEVNULL)
    # rg exits 1 when nothing matched, which is still a valid timing.
    rg_w, rg_m = median_of(["rg", "--no-config", "-c", "-f", patterns, reports], (0, 1), "rg")
    nb_w, nb_m = median_of([binary, "check", reports, "--format", "text", "--fail-on", "never"], (0,), "check")
    rows.append(dict(n=files, size=size, rg_w=rg_w, rg_m=rg_m, nb_w=nb_w, nb_m=nb_m))

print(f"Machine: {ncpu} CPUs, {cpu}; load average before the run {load}")
print(f"Yardstick: ../shared/bench (make_corpus.py N, {rg_version} -c -f patterns.txt); "
      f"median of {runs} runs each; `nianbao check DIR --format text` (every default check, "
      f"cross-year linking on, output to /dev/null)")
print()
print("| reports | corpus MB | rg s | check s | check/rg | reports/s | MB/s | check peak RSS MiB | RSS/corpus | rg peak RSS MiB |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    mb = r["size"] / 1e6
    print(f"| {r['n']:,} | {mb:,.1f} | {r['rg_w']:.3f} | {r['nb_w']:.3f} | {r['nb_w'] / r['rg_w']:.1f}× "
          f"| {r['n'] / r['nb_w']:,.0f} | {mb / r['nb_w']:,.1f} | {r['nb_m'] / 1024:,.1f} "
          f"| {r['nb_m'] * 1024 / r['size']:.2f}× | {r['rg_m'] / 1024:,.1f} |")
by_n = {r["n"]: r for r in rows}
if 10000 in by_n:
    base = by_n[10000]
    print()
    for r in rows:
        if r is base:
            continue
        per = (r["nb_w"] / r["n"]) / (base["nb_w"] / base["n"])
        print(f"{r['n']:,} reports against 10,000: check time per report {per:.2f}× (1.00 = linear), "
              f"peak RSS {r['nb_m'] / base['nb_m']:.2f}× the 10,000-report peak")
PY
