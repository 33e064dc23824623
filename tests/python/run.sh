#!/usr/bin/env bash
# The pyasm wheel in every native interpreter that loads it: for each, a
# fresh venv with only the wheel installed (and, for a supported version,
# the pinned pytest and hypothesis of tests/python/requirements.txt from
# PyPI), then the tests run from there, away from the source tree:
#   - 3.11, 3.12, 3.13 (tests/interpreters.txt): the pytest suite here;
#   - 3.8, 3.9, 3.10 (tests/python/unsupported.txt; pyenv installs one that
#     is missing): unsupported.py, the clear error and what still works.
# Each interpreter's run prints its time.
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

wanted() { [ $# -eq 0 ] || [[ " ${only[*]} " == *" $1 "* ]]; }
only=("$@")

run_in() {
    local v=$1 full=$2 kind=$3 start=$SECONDS
    wanted "$v" || return 0
    local exe="$pyenv_versions/$full/bin/python$v"
    if [ ! -x "$exe" ]; then
        command -v pyenv >/dev/null 2>&1 || { echo "pyenv is needed to install CPython $full"; exit 1; }
        pyenv install --skip-existing "$full"
    fi
    local venv="$venvs/$v"
    "$exe" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel"
    echo "-- Python $full ($kind)"
    # From a folder outside the source tree, so that `import pyasm` can
    # only find the installed wheel.
    if [ "$kind" = supported ]; then
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/python/requirements.txt
        (cd "$venvs" && "$venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir "$repo/tests/python" "$repo/tests/python")
    else
        (cd "$venvs" && "$venv/bin/python" "$repo/tests/python/unsupported.py")
    fi
    printf -- '-- took %d s: Python %s\n' $((SECONDS - start)) "$full"
}

while read -r v full; do
    case "$v" in '' | '#'*) continue ;; esac
    run_in "$v" "$full" supported
done < tests/interpreters.txt
while read -r v full; do
    case "$v" in '' | '#'*) continue ;; esac
    run_in "$v" "$full" unsupported
done < tests/python/unsupported.txt
