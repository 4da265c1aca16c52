#!/usr/bin/env bash
# Fuzzes the profiler for a bounded time and exits non-zero when a crash,
# hang or memory blow-up was found.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS is the time given to each target (default 60). TARGETs are the
# cargo-fuzz targets in fuzz/fuzz_targets (default: all of sniff csv json
# archive profile).
#
# With cargo-fuzz (installed with `cargo install cargo-fuzz` if missing)
# each target runs under libFuzzer, with AddressSanitizer when it builds.
# cargo-fuzz passes nightly-only flags (-Zsanitizer...): on a stable
# toolchain RUSTC_BOOTSTRAP=1 lets rustc accept them. Crashing inputs land
# in fuzz/artifacts/TARGET/; the working corpus in fuzz/corpus/TARGET/ grows
# from run to run (both are ignored by git).
#
# When cargo-fuzz cannot be installed or built (FUZZ_MODE=proptest forces
# this), the property tests are the fuzzer: crates/profiler/tests/
# proptest_*.rs run in release with a case count scaled to SECONDS.
#
# Environment: FUZZ_MODE=cargo-fuzz|proptest, FUZZ_SANITIZER=address|none,
# FUZZ_MAX_LEN (bytes per input, default 16384).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
if [[ ! $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
fi
targets=("$@")
((${#targets[@]})) || targets=(sniff csv json archive profile)
mode=${FUZZ_MODE:-cargo-fuzz}
sanitizer=${FUZZ_SANITIZER:-address}
max_len=${FUZZ_MAX_LEN:-16384}

log() { echo "fuzz.sh: $*" >&2; }

run_proptest() {
    local cases=$((seconds * 100 * ${#targets[@]}))
    local limit=$((seconds * ${#targets[@]} * 3 + 300))
    log "property tests as the fuzzer: PROPTEST_CASES=$cases, at most ${limit}s"
    local status=0
    PROPTEST_CASES=$cases timeout "$limit" \
        cargo test --release -p dataprof-profiler --test proptest_inputs --test proptest_csv || status=$?
    if ((status == 124)); then
        log "time is up before every case ran; no failure among those that did"
        return 0
    fi
    ((status == 0)) || log "a property failed: its input is saved in crates/profiler/tests/regressions/"
    return "$status"
}

have_cargo_fuzz() {
    cargo fuzz --version >/dev/null 2>&1 && return 0
    log "cargo-fuzz is missing: installing it from crates.io"
    cargo install cargo-fuzz --locked >/dev/null 2>&1
}

if [[ $mode == proptest ]]; then
    run_proptest
    exit
fi
if ! have_cargo_fuzz; then
    log "cargo-fuzz cannot be installed: falling back to the property tests"
    run_proptest
    exit
fi

export RUSTC_BOOTSTRAP=1
build_flags=(--codegen-units 16)

# Seeds: the fixtures that are small enough to mutate quickly, and the
# hand-made archive and JSON seeds in fuzz/seeds.
seed() {
    local target=$1
    shift
    mkdir -p "fuzz/corpus/$target"
    local file
    for file in "$@"; do
        [[ -f $file ]] || continue
        (($(stat -c %s "$file") <= max_len)) || continue
        cp -n "$file" "fuzz/corpus/$target/" 2>/dev/null || true
    done
}
shopt -s nullglob
csv_seeds=(tests/fixtures/peers/duckdb/*.csv tests/fixtures/corpus/*.csv tests/fixtures/corpus/*.CSV)
json_seeds=(fuzz/seeds/json/* tests/fixtures/corpus/*.json tests/fixtures/corpus/*.geojson
    tests/fixtures/peers/duckdb/*.json tests/fixtures/peers/duckdb/*.geojson)
seed sniff "${csv_seeds[@]}" "${json_seeds[@]}"
seed csv "${csv_seeds[@]}"
seed json "${json_seeds[@]}"
seed archive fuzz/seeds/archive/*
seed profile "${csv_seeds[@]}" "${json_seeds[@]}"
# The archive seeds start with the byte that picks zip or gzip; the
# profile target takes the archive itself.
for file in fuzz/seeds/archive/*; do
    tail -c +2 "$file" >"fuzz/corpus/profile/archive-$(basename "$file")"
done

cd fuzz
if ! cargo fuzz build -s "$sanitizer" "${build_flags[@]}" >/dev/null 2>build.log; then
    if [[ $sanitizer != none ]]; then
        log "the $sanitizer build failed (see fuzz/build.log): trying without a sanitizer"
        sanitizer=none
    fi
    if ! cargo fuzz build -s "$sanitizer" "${build_flags[@]}" >/dev/null 2>build.log; then
        cd ..
        log "cargo fuzz cannot build here (see fuzz/build.log): falling back to the property tests"
        run_proptest
        exit
    fi
fi
rm -f build.log

artifacts() { find artifacts -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) 2>/dev/null | sort; }
before=$(artifacts)
failed=()
for target in "${targets[@]}"; do
    log "$target: ${seconds}s (sanitizer $sanitizer)"
    mkdir -p "artifacts/$target"
    if ! cargo fuzz run -s "$sanitizer" "${build_flags[@]}" "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
        -print_final_stats=1 >"artifacts/$target/last-run.log" 2>&1; then
        failed+=("$target")
        tail -n 30 "artifacts/$target/last-run.log" >&2
    else
        grep -E '^(stat::number_of_executed_units|Done)' "artifacts/$target/last-run.log" >&2 || true
    fi
done
new=$(comm -13 <(echo "$before") <(artifacts) | sed '/^$/d')
if ((${#failed[@]})) || [[ -n $new ]]; then
    log "FAILED: ${failed[*]:-}"
    [[ -z $new ]] || { log "new inputs to turn into regression cases:"; echo "$new" | sed 's/^/  fuzz\//' >&2; }
    exit 1
fi
log "no crash in ${#targets[@]} target(s), ${seconds}s each"
