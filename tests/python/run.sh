#!/usr/bin/env bash
# The pyasm wheel in every native interpreter that loads it: for each, a
# fresh venv with only the wheel installed (and, for a supported version,
# the pinned pytest and hypothesis of tests/python/requirements.txt from
# PyPI, or of requirements-3.8.txt and requirements-before-3.11.txt for
# the interpreters the newest releases left), then the tests run from
# there, away from the source tree:
#   - the versions of tests/interpreters.txt from 3.8 (3.8-3.13; the
#     interpreters of 3.6 and 3.7 cannot load the abi3 wheel): the pytest
#     suite here;
#   - those of tests/python/unsupported.txt (none now: the wheel loads in
#     3.8 and later, all read and written): unsupported.py, the clear error
#     and what still works. pyenv installs an interpreter that is missing.
# Each interpreter's run prints its time; they run side by side, a core
# each.
#
#   bash tests/python/run.sh target/wheels/pyasm-*.whl [VERSION...]
set -euo pipefail
wheel=$(realpath "$1")
shift
cd "$(dirname "$0")/../.."
repo=$PWD
pyenv_versions="${PYENV_ROOT:-$HOME/.pyenv}/versions"
venvs=$(mktemp -d)
trap 'rm -rf "$venvs"' EXIT

# The versions named on the command line, or all.
only=("$@")
wanted() { [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" $1 "* ]]; }

# Runs the tests for one interpreter; returns non-zero when they fail (or
# the venv cannot be made), after printing the time taken.
run_in() {
    local v=$1 full=$2 kind=$3 start=$SECONDS rc=0
    local exe="$pyenv_versions/$full/bin/python$v"
    if [ ! -x "$exe" ]; then
        command -v pyenv >/dev/null 2>&1 || { echo "pyenv is needed to install CPython $full"; return 1; }
        pyenv install --skip-existing "$full" || return 1
    fi
    local venv="$venvs/$v"
    "$exe" -m venv "$venv" || return 1
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel" || return 1
    echo "-- Python $full ($kind)"
    # From a folder outside the source tree, so that `import pyasm` can
    # only find the installed wheel.
    if [ "$kind" = supported ]; then
        local reqs=tests/python/requirements.txt
        # pytest 9 and the pinned hypothesis need a newer interpreter.
        case "$v" in
            3.8) reqs=tests/python/requirements-3.8.txt ;;
            3.9|3.10) reqs=tests/python/requirements-before-3.11.txt ;;
        esac
        "$venv/bin/python" -m pip install -q --disable-pip-version-check \
            -r "$reqs" || return 1
        (cd "$venvs" && "$venv/bin/python" -m pytest -q -p no:cacheprovider \
            --rootdir "$repo/tests/python" "$repo/tests/python") || rc=$?
    else
        (cd "$venvs" && "$venv/bin/python" "$repo/tests/python/unsupported.py") || rc=$?
    fi
    printf -- '-- took %d s: Python %s\n' $((SECONDS - start)) "$full"
    return $rc
}

# Every interpreter runs, as many at once as there are cores (each run is
# one pytest process, so one interpreter alone leaves a core idle), each
# into its own log, printed whole in the list's order once it is done; the
# failures are listed at the end.
slots=$(nproc 2>/dev/null || echo 2)
names=()
while read -r v full kind; do
    wanted "$v" || continue
    # The abi3 wheel (abi3-py38) does not load before 3.8; pyasm reads and
    # writes 3.6's and 3.7's code from any interpreter that loads it.
    if [ "$v" = 3.6 ] || [ "$v" = 3.7 ]; then
        echo "-- Python $v: the abi3 wheel needs 3.8 or later; not run"
        continue
    fi
    while [ "$(jobs -rp | wc -l)" -ge "$slots" ]; do
        wait -n || true
    done
    names+=("$full")
    (
        rc=0
        run_in "$v" "$full" "$kind" >"$venvs/$full.log" 2>&1 || rc=$?
        echo "$rc" >"$venvs/$full.rc"
    ) &
done < <(
    grep -v '^#' tests/interpreters.txt | awk 'NF { print $1, $2, "supported" }'
    grep -v '^#' tests/python/unsupported.txt | awk 'NF { print $1, $2, "unsupported" }'
)
wait
if [ ${#names[@]} -eq 0 ]; then
    echo "-- no interpreter matched: ${only[*]}"
    exit 1
fi
failed=()
for full in "${names[@]}"; do
    cat "$venvs/$full.log"
    [ "$(cat "$venvs/$full.rc" 2>/dev/null)" = 0 ] || failed+=("$full")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "-- failed in Python ${failed[*]}"
    exit 1
fi
