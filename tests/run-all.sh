#!/usr/bin/env bash
# Runs every check CI runs, after installing what they need on a fresh
# machine: CPython 3.11 with pytest-lsp for the language server tests, the
# native interpreters of tests/interpreters.txt (pyenv), the other versions
# as pyodide packages for Node, the
# tree-sitter CLI that generated grammar/src/parser.c, Neovim (the
# editors/nvim end-to-end test), the Rust components fmt and clippy, the
# npm packages that build the VS Code extension (and, in its own step,
# code-server and Chromium to run it), maturin to build the Python wheel
# (and, in its own step, a venv per interpreter with the wheel, pytest and
# hypothesis), and cargo-fuzz, with which
# each fuzz target in fuzz/ runs for a bounded time at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# Each step prints the time the one before it took, and the last line the
# whole run's, so the CI log shows where the minutes go.
step_name=""
step_start=$SECONDS
run_start=$SECONDS
step_done() {
    [ -z "$step_name" ] || printf '== took %d s: %s\n' $((SECONDS - step_start)) "$step_name"
}
step() {
    step_done
    step_name="$*"
    step_start=$SECONDS
    printf '\n== %s\n' "$*"
}
finish() {
    local rc=$?
    step_done
    printf '== total %d s (exit %d)\n' $((SECONDS - run_start)) "$rc"
}
trap finish EXIT

step "installing what the tests need"
if ! command -v python3.11 >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3.11
fi
python3.11 --version
# bubblewrap contains the mutants of 3.6 and 3.7, whose interpreters have no audit
# hooks (bench/mutants/drive.rs).
if ! command -v bwrap >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq bubblewrap
fi
# pytest-lsp and its pinned dependencies, for the language server's
# end-to-end tests (tests/lsp.rs runs tests/lsp/). Debian's python3.11 has
# pip in a separate package and marks itself externally managed; this is a
# test machine, so the packages go in anyway.
if ! python3.11 -m pip --version >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3-pip
fi
PIP_BREAK_SYSTEM_PACKAGES=1 python3.11 -m pip install -q -r tests/lsp/requirements.txt
# maturin, pinned, which builds the Python wheel (pyproject.toml).
PIP_BREAK_SYSTEM_PACKAGES=1 python3.11 -m pip install -q -r python/requirements-build.txt
# jsonschema, pinned, which checks the JSON documents tests/json.rs and tests/versions.rs emit
# against docs/pyasm.schema.json.
PIP_BREAK_SYSTEM_PACKAGES=1 python3.11 -m pip install -q -r tests/py/requirements-json.txt
# The native interpreters the tests run (tests/interpreters.txt) and those
# that check the tables of versions not supported yet
# (tests/table-interpreters.txt), from pyenv; `pyenv install` brings one
# that is missing (it needs python.org).
pyenv_versions="${PYENV_ROOT:-$HOME/.pyenv}/versions"
while read -r v full; do
    case "$v" in '' | '#'*) continue ;; esac
    exe="$pyenv_versions/$full/bin/python$v"
    if [ ! -x "$exe" ]; then
        command -v pyenv >/dev/null 2>&1 || { echo "pyenv is needed to install CPython $full"; exit 1; }
        pyenv install --skip-existing "$full"
    fi
    "$exe" --version
done < <(cat tests/interpreters.txt tests/table-interpreters.txt)
TS_VERSION=0.27.1
if ! tree-sitter --version 2>/dev/null | grep -q "$TS_VERSION"; then
    cargo install tree-sitter-cli --version "$TS_VERSION" --locked
fi
tree-sitter --version
CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
cargo fuzz --version
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! command -v node >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq nodejs npm
fi
node --version
if ! command -v nvim >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq neovim
fi
nvim --version | sed -n 1p
# Real CPython as pyodide builds, pinned by tests/package-lock.json: the
# interpreters of the versions with no native one here, and the builds the
# native 3.12 and 3.13 are checked against.
npm ci --prefix tests --no-audit --no-fund
# The VS Code extension's client library and build tools (TypeScript, vsce),
# and vscode-textmate with vscode-oniguruma for the highlighting test, pinned
# by editors/vscode/package-lock.json. None of them needs an install script.
npm ci --prefix editors/vscode --no-audit --no-fund --ignore-scripts

step "cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml -- --check

step "cargo clippy (warnings denied)"
cargo clippy --all-targets -- -D warnings
# The fuzz crate pins the main crate's dependency versions, so its check
# shares their artifacts in target/.
cargo clippy --manifest-path fuzz/Cargo.toml --target-dir target --all-targets -- -D warnings
# The Python extension, a workspace member that the root's commands leave
# out (python/Cargo.toml).
cargo clippy -p pyasm-python -- -D warnings

# The library as an embedding builds it (a Python extension module): no
# command line, no language server, no allocator of the executable's.
# Installs nothing; builds the crate once more without its features.
step "the library alone (--no-default-features): check, clippy, what it pulls in"
cargo check --lib --no-default-features
cargo clippy --lib --no-default-features -- -D warnings
if cargo tree --no-default-features -e normal --prefix none |
    grep -E '^(tokio|tower-lsp-server|futures|tower|ropey|clap|indicatif|mimalloc|libmimalloc-sys) '; then
    echo "a library build pulls in the crates above" >&2
    exit 1
fi

step "grammar: committed parser is up to date, corpus tests pass"
(
    cd grammar
    tree-sitter generate
    git diff --exit-code -- src/ || { echo "grammar/src is stale: run tree-sitter generate in grammar/"; exit 1; }
    tree-sitter test
)

step "VS Code extension: compile and package the .vsix (checked by tests/vscode.rs)"
npm run --prefix editors/vscode package

step "the checked build of pyasm, for the corpus-wide and hostile-input tests"
# Optimized, with debug assertions and overflow checks (Cargo.toml's
# `checked` profile).
cargo build --profile checked --bin pyasm
export PYASM_CHECKED_BIN="$PWD/target/checked/pyasm"

step "cargo test"
cargo test --all-targets --no-fail-fast -- --nocapture

# The wheel `pip install` users get: the extension crate python/ and the
# package python/pyasm/, built by maturin from pyproject.toml.
step "the Python wheel (maturin build --release)"
rm -f target/wheels/pyasm-*.whl
python3.11 -m maturin build --release
# Each interpreter gets a fresh venv with the wheel and, where pyasm supports
# the version, pytest and hypothesis as pinned in
# tests/python/requirements.txt (from PyPI); 3.8-3.10
# (tests/python/unsupported.txt) come from pyenv like the others. Prints
# each interpreter's time.
step "the Python package in each native interpreter (tests/python/run.sh)"
bash tests/python/run.sh target/wheels/pyasm-*.whl

# The extension in a real VS Code: code-server serves the .vsix
# packaged above, Chromium drives a session against the pyasm that cargo
# test built. Its first run installs chromium and about 1 GB of npm packages
# (code-server, Node 24, puppeteer-core), cached for the next runs in
# ~/.cache/pyasm-vscode-e2e; screenshots go to target/vscode-e2e.
step "VS Code extension in a real VS Code (code-server in Chromium)"
bash editors/vscode/test/e2e/run.sh target/debug/pyasm \
    "editors/vscode/$(node -p 'const p = require("./editors/vscode/package.json"); `${p.name}-${p.version}.vsix`')"

# Each fuzz target for a bounded time (libFuzzer with coverage guidance and
# AddressSanitizer, debug assertions on; an unoptimized build, quicker to
# compile), on seeds made from the examples by the pyasm binary cargo test
# just built. A failing input fails CI and is left in fuzz/artifacts/.
step "fuzz targets, ${PYASM_FUZZ_SECONDS:-20} s each"
bash fuzz/run.sh --dev "${PYASM_FUZZ_SECONDS:-20}"
