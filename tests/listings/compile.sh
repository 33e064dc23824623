#!/usr/bin/env bash
# Remakes tests/listings/*.pyc from the .py sources beside them, with every
# interpreter the tests run: natively for the versions tests/interpreters.txt
# lists (pyenv's builds), through the pinned pyodide builds for 3.14 and 3.15
# (`npm ci --prefix tests` installs them). Then bless the listings:
#   INSTA_UPDATE=always cargo test --test snapshots
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tests=$(dirname "$here")
# String hashes order sets and frozensets: keep them fixed.
export PYTHONHASHSEED=0
root=${PYENV_ROOT:-$HOME/.pyenv}
while read -r version full; do
    case "$version" in '#'* | '') continue ;; esac
    "$root/versions/$full/bin/python$version" "$here/compile.py"
done < "$tests/interpreters.txt"
for version in 3.14 3.15; do
    node "$tests/pyodide/run.mjs" "$version" "$here/compile.py"
done
