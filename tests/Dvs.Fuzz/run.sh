#!/usr/bin/env bash
# Coverage-guided fuzzing of Dvs's parsers with afl++ and SharpFuzz, bounded in time.
#
#   tests/Dvs.Fuzz/run.sh [SECONDS] [TARGET...]     (default: 60 s for each of every target)
#
# Publishes tests/Dvs.Fuzz into artifacts/fuzz/bin, instruments that copy of Dvs.dll (sharpfuzz, from
# the repo's tool manifest), then runs afl-fuzz on each target for SECONDS from its seed corpus
# (tests/Dvs.Fuzz/corpus/TARGET). Prints one line per target, "fuzz TARGET: passed" or
# "fuzz TARGET: failed" followed by the inputs that crashed or hung (kept under
# artifacts/fuzz/findings/TARGET); exits non-zero when a target failed or could not run.
# Needs afl-fuzz (Debian package afl++). One target at a time: afl-fuzz wants a core for itself.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 1
seconds=${1:-60}
shift || true
if (($# > 0)); then targets=("$@"); else targets=(frame frame-mac ini control); fi
out="$repo/artifacts/fuzz"

log() { echo "fuzz: $*" >&2; }

if ! command -v afl-fuzz >/dev/null 2>&1; then
    log "afl-fuzz is missing (apt-get install afl++)"
    exit 2
fi
rm -rf "$out/bin" "$out/replay"
if ! dotnet publish tests/Dvs.Fuzz/Dvs.Fuzz.csproj -c Release -o "$out/replay" --nologo -v quiet </dev/null >&2; then
    log "publishing tests/Dvs.Fuzz failed"
    exit 2
fi
# afl-fuzz runs an instrumented copy; findings are replayed with the plain one (an instrumented
# Dvs.dll only runs under the fuzzer).
cp -r "$out/replay" "$out/bin"
# Only Dvs.dll is instrumented: the parsers live there; the BCL and the harness are not.
if ! dotnet tool run sharpfuzz "$out/bin/Dvs.dll" </dev/null >&2; then
    log "sharpfuzz could not instrument Dvs.dll"
    exit 2
fi

export AFL_SKIP_BIN_CHECK=1             # the target is dotnet: SharpFuzz, not afl's compiler, instruments it
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_AFFINITY=1                # other work shares the cores; don't pin
export AFL_FORKSRV_INIT_TMOUT=60000     # .NET start-up and the first node host take a while
status=0
for target in "${targets[@]}"; do
    findings="$out/findings/$target"
    rm -rf "$findings"
    mkdir -p "$findings"
    log "$target: $seconds s from $(find "$here/corpus/$target" -type f | wc -l) seeds"
    afl-fuzz -i "$here/corpus/$target" -o "$findings" -t 5000 -m none -V "$seconds" \
        -- dotnet "$out/bin/Dvs.Fuzz.dll" "$target" </dev/null >"$findings/afl.log" 2>&1
    rc=$?
    mapfile -t crashes < <(find "$findings"/*/crashes -type f ! -name README.txt 2>/dev/null | sort)
    mapfile -t hangs < <(find "$findings"/*/hangs -type f ! -name README.txt 2>/dev/null | sort)
    found=()
    for input in "${crashes[@]}"; do
        found+=("$input")
        if ((${#found[@]} <= 3)); then   # the first few with their stack traces; many are one bug
            log "$target: crash $input; replayed:"
            timeout 60 dotnet "$out/replay/Dvs.Fuzz.dll" "$target" "$input" 2>&1 </dev/null | head -n 15 >&2
        fi
    done
    # afl-fuzz calls an input a hang when one run of it took longer than -t; on a busy machine the
    # machine can be the cause. A hang counts when the input also hangs alone (60 s).
    for input in "${hangs[@]}"; do
        timeout 60 dotnet "$out/replay/Dvs.Fuzz.dll" "$target" "$input" </dev/null >/dev/null 2>&1
        replay=$?
        if ((replay == 0)); then
            log "$target: $input was slow under afl-fuzz but runs through alone: not counted"
        else
            found+=("$input")
            log "$target: hang $input (replayed alone: exit code $replay, 124 = still running after 60 s)"
        fi
    done
    stats=$(find "$findings" -name fuzzer_stats | head -n1)
    if [[ -n $stats ]]; then
        log "$target: $(grep -E '^(execs_done|corpus_count|bitmap_cvg|stability)' "$stats" | tr -s ' ' | tr '\n' ' ')"
    fi
    if ((rc != 0)) || [[ -z $stats ]]; then
        log "$target: afl-fuzz exited with $rc; the end of its log:"
        tail -n 20 "$findings/afl.log" >&2
        echo "fuzz $target: failed"
        status=1
    elif ((${#found[@]} > 0)); then
        echo "fuzz $target: failed"
        printf '  %s\n' "${found[@]}"
        status=1
    else
        echo "fuzz $target: passed"
    fi
done
# Node segments and folders of harness processes that afl-fuzz killed (their names carry the pid).
for leftover in /dev/shm/dvs-fuzz* "${TMPDIR:-/tmp}"/dvs-fuzz-*; do
    [[ -e $leftover ]] || continue
    pid=$(grep -oE 'fuzzc?[0-9]+|fuzz-(ini|control)-[0-9]+' <<<"${leftover##*/}" | grep -oE '[0-9]+$')
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
        rm -rf -- "$leftover"
    fi
done
exit "$status"
