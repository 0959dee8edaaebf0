#!/usr/bin/env bash
# Checks a protocol model with spin: one line per property, "model: <property> passed|failed",
# and a non-zero exit status if any failed.
#
#   tests/model/check.sh                      every property of the migration model (migration.pml)
#   tests/model/check.sh no_loss epochs       some of them
#   tests/model/check.sh --current-commit lost_after_confirm
#                                             the variant that commits on PREPARED (the code
#                                             before the redesign): this one must fail
#   tests/model/check.sh --model replication  every property of the replication model (replication.pml)
#   tests/model/check.sh --model replication --variant ASYNC no_loss
#                                             a variant that breaks one rule (-DASYNC): must fail
#   MODEL_FLAGS="-DCRASHES=2" tests/model/check.sh   a larger configuration (slower)
#   tests/model/check.sh fence_fifo           the FENCE model (fence.pml): per-sender FIFO and
#                                             exactly-once of one-way messages across a commit
#   tests/model/check.sh --no-fence fence_fifo
#                                             the same without the FENCE: this one must fail
#
# Safety properties are invariants: an exhaustive search (-DSAFETY). The liveness properties are
# checked with -DLIVENESS (bounded losses) for acceptance cycles under weak fairness (pan -a -f).
# On a failure, spin's trail (the counterexample) is replayed to stderr.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
model=migration variant=() label="" fence_variant=() fence_label=""
while (($# > 0)); do
    case $1 in
        --model) model=$2; shift 2 ;;
        --current-commit) variant+=(-DCURRENT_COMMIT) label+=" (current commit)"; shift ;;
        --no-fence) fence_variant=(-DNOFENCE) fence_label=" (no fence)"; shift ;;
        --variant) variant+=("-D$2") label+=" ($2)"; shift 2 ;;
        *) break ;;
    esac
done
# others: properties checked by a model of their own (fence.pml), asked for with the migration's.
case $model in
    migration)
        safety=(no_loss no_duplicate order one_server epochs lost_after_confirm)
        liveness=(migration_ends clients_answered)
        others=(fence_fifo)
        combined="" ;;
    replication)
        safety=(no_loss no_duplicate order one_primary no_stale_primary)
        liveness=(failover_ends clients_answered)
        others=()
        combined=safety ;;
    *) echo "model: no model '$model' (migration, replication)" >&2; exit 2 ;;
esac
props=("$@")
((${#props[@]} > 0)) || props=("${safety[@]}" "${liveness[@]}" "${others[@]}")

for tool in spin cc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "model: '$tool' is not installed (Debian package: ${tool/cc/gcc}); .ci/run installs it" >&2
        exit 2
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/dvs-model.XXXXXX")
trap 'rm -rf "$work"' EXIT
read -r -a extra <<<"${MODEL_FLAGS:-}"

# Builds pan for one kind of check into $work/<kind>; prints nothing unless it fails.
build() {
    local kind=$1 dir="$work/$1"
    [[ -x $dir/pan ]] && return 0
    [[ -d $dir ]] && return 1    # built once already, and failed
    mkdir -p "$dir" && cp "$here/$model.pml" "$dir/"
    local defs=("${variant[@]}" "${extra[@]}") cflags=(-DSAFETY)
    if [[ $kind == liveness ]]; then
        defs+=(-DLIVENESS) cflags=(-DNFAIR=3)
    fi
    (cd "$dir" && spin "${defs[@]}" -a "$model.pml" >spin.log 2>&1) || { cat "$dir/spin.log" >&2; return 1; }
    # Bounded memory (MiB) and a state vector large enough for the model.
    (cd "$dir" && cc -O1 -w -DVECTORSZ=512 -DMEMLIM=2048 "${cflags[@]}" -o pan pan.c 2>"$dir/cc.log") || { cat "$dir/cc.log" >&2; return 1; }
}

failed=0

# The FENCE model: its assertions (exhaustive search, no claim).
check_fence() {
    local dir="$work/fence" start took states
    mkdir -p "$dir" && cp "$here/fence.pml" "$dir/"
    if ! (cd "$dir" && spin "${fence_variant[@]}" -a fence.pml >spin.log 2>&1 && cc -O1 -w -DSAFETY -o pan pan.c 2>cc.log); then
        echo "model: fence_fifo$fence_label failed (the model did not build)"
        cat "$dir/spin.log" "$dir/cc.log" >&2
        return 1
    fi
    start=$(date +%s.%N)
    (cd "$dir" && ./pan -m20000 >fence_fifo.out 2>&1)
    took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    states=$(awk '/states, stored/ { print $1; exit }' "$dir/fence_fifo.out")
    if grep -q "errors: 0" "$dir/fence_fifo.out" && ! grep -q "max search depth too small" "$dir/fence_fifo.out"; then
        echo "model: fence_fifo$fence_label passed ($states states, ${took} s)"
        return 0
    fi
    echo "model: fence_fifo$fence_label failed ($states states, ${took} s)"
    {
        echo "---- pan"
        grep -vE "^\s*$" "$dir/fence_fifo.out" | head -n 20
        if [[ -f $dir/fence.pml.trail ]]; then
            echo "---- counterexample (spin -t)"
            (cd "$dir" && spin "${fence_variant[@]}" -t fence.pml 2>&1) | grep -vE "^\s*$" | head -n 100
        fi
    } >&2
    return 1
}

for prop in "${props[@]}"; do
    if [[ $prop == fence_fifo && $model == migration ]]; then
        check_fence || failed=1
        continue
    fi
    kind=safety run=()
    if [[ " ${liveness[*]} " == *" $prop "* ]]; then
        kind=liveness run=(-a -f)
    elif [[ " ${safety[*]} " != *" $prop "* && $prop != "$combined" ]]; then
        echo "model: $prop is not a property of the model (${safety[*]} ${liveness[*]} ${others[*]})" >&2
        failed=1
        continue
    fi
    if ! build "$kind"; then
        echo "model: $prop$label failed (the model did not build)"
        failed=1
        continue
    fi
    dir="$work/$kind"
    start=$(date +%s.%N)
    (cd "$dir" && ./pan -m20000 "${run[@]}" -N "$prop" >"$prop.out" 2>&1)
    took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    out="$dir/$prop.out"
    states=$(awk '/states, stored/ { print $1; exit }' "$out")
    # Passed: no error, and the search was complete (depth and memory within their bounds).
    if grep -q "errors: 0" "$out" && ! grep -qE "max search depth too small|reached -DMEMLIM|out of memory" "$out"; then
        echo "model: $prop$label passed ($states states, ${took} s)"
    else
        echo "model: $prop$label failed ($states states, ${took} s)"
        failed=1
        {
            echo "---- pan"
            grep -vE "^\s*$" "$out" | head -n 20
            if [[ -f $dir/$model.pml.trail ]]; then
                echo "---- counterexample (spin -t; message types and roles: tests/model/README.md)"
                defs=("${variant[@]}" "${extra[@]}")
                [[ $kind == liveness ]] && defs+=(-DLIVENESS)
                (cd "$dir" && spin "${defs[@]}" -t "$model.pml" 2>&1) | grep -vE "^\s*$|^ltl |^Never claim moves" | head -n 200
                rm -f "$dir/$model.pml.trail"
            fi
        } >&2
    fi
done
exit "$failed"
