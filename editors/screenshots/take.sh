#!/usr/bin/env bash
# Takes the editor screenshots in docs/screenshots/ from a real session:
# Neovim with editors/nvim and `pyasm lsp`, running in a detached tmux of a
# fixed size; keys are sent to it, the pane is captured with its colours
# (tmux capture-pane -e) and render.py draws that into a PNG.
#
#   bash editors/screenshots/take.sh [OUT_DIR]     (default docs/screenshots)
#
# KEEP=1 keeps the temporary folder (the captures, *.ansi) for a look.
#
# Needs tmux, nvim, the tree-sitter CLI and a C compiler (the grammar is
# compiled for Neovim's tree-sitter, for highlighting), python3 with pyte
# and Pillow, and DejaVu Sans Mono:
#   apt-get install -y tmux neovim fonts-dejavu-core && pip install pyte Pillow
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$(realpath -m "${1:-docs/screenshots}")
mkdir -p "$out"
export PATH="$HOME/.cargo/bin:$PATH"

cols=100
rows=32

for tool in tmux nvim tree-sitter cc python3; do
    command -v "$tool" >/dev/null || { echo "take.sh: $tool is missing (see the top of this script)"; exit 1; }
done
python3 -c 'import pyte, PIL' || { echo "take.sh: pip install pyte Pillow"; exit 1; }

cargo build --release --quiet
bin=$root/target/release/pyasm

tmp=$(mktemp -d)
session=pyasm-shot-$$
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# The grammar for Neovim's tree-sitter: ABI 14 loads in every Neovim from
# 0.7 (the committed parser.c is ABI 15, for 0.11+).
mkdir "$tmp/ts"
cp grammar/grammar.js grammar/tree-sitter.json "$tmp/ts/"
(cd "$tmp/ts" && tree-sitter generate --abi 14 --js-runtime native >/dev/null &&
    cc -shared -fPIC -O1 -Isrc src/parser.c -o pyasm.so)

# The example: the loop of examples/3.11/loop.pyasm with two slips, a
# misspelt label (an error) and a misspelt builtin (a warning).
mkdir "$tmp/work"
sed -e 's/JUMP_BACKWARD top/JUMP_BACKWARD tpo/' -e 's/LOAD_NAME print/LOAD_NAME prnt/' \
    examples/3.11/loop.pyasm >"$tmp/work/loop.pyasm"
grep -q 'JUMP_BACKWARD tpo' "$tmp/work/loop.pyasm" && grep -q 'LOAD_NAME prnt' "$tmp/work/loop.pyasm"

# Waits until the pane shows $1.
wait_for() {
    for _ in $(seq 1 200); do
        if tmux capture-pane -t "$session" -p | grep -qF -- "$1"; then
            sleep 0.3 # let the rest of the redraw land
            return 0
        fi
        sleep 0.05
    done
    echo "take.sh: timed out waiting for \"$1\"; the pane shows:"
    tmux capture-pane -t "$session" -p
    exit 1
}

# Captures the pane, with the cursor, into $out/$1.png.
shoot() {
    tmux capture-pane -t "$session" -e -p -N >"$tmp/$1.ansi"
    local cursor
    cursor=$(tmux display-message -t "$session" -p '#{cursor_x},#{cursor_y}')
    python3 editors/screenshots/render.py "$tmp/$1.ansi" "$out/$1.png" \
        --cols "$cols" --rows "$rows" --cursor "$cursor"
}

tmux -f /dev/null new-session -d -s "$session" -x "$cols" -y "$rows" -c "$tmp/work" \
    env TERM=tmux-256color COLORTERM=truecolor \
    XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" \
    XDG_STATE_HOME="$tmp/state" XDG_CACHE_HOME="$tmp/cache" \
    PYASM_BIN="$bin" PYASM_PLUGIN="$root/editors/nvim" PYASM_TS_PARSER="$tmp/ts/pyasm.so" \
    nvim --clean -u "$root/editors/screenshots/init.lua" loop.pyasm
tmux set-option -t "$session" status off >/dev/null

# 1. The diagnostics as they arrive, and the one on the cursor's line.
wait_for "no label named"
tmux send-keys -t "$session" 25G 0 f t
sleep 0.3
tmux send-keys -t "$session" F2
wait_for "pyasm: "
shoot nvim-diagnostic

# 2. The label fixed (`tpo` -> `top`): its error goes. Then hover on an
#    opcode: what it does, its stack effect and the depth around it.
tmux send-keys -t "$session" Escape
sleep 0.2
tmux send-keys -t "$session" 25G '$' c i w top Escape
wait_for "JUMP_BACKWARD top"
for _ in $(seq 1 100); do
    tmux capture-pane -t "$session" -p | grep -qF "no label named" || break
    sleep 0.05
done
tmux send-keys -t "$session" 21G 0 w
sleep 0.3
tmux send-keys -t "$session" K
wait_for "depth here"
shoot nvim-hover

ls -l "$out"/nvim-*.png
