" pyasm: CPython bytecode in text (docs/pyasm.md).
autocmd BufNewFile,BufRead *.pyasm setfiletype pyasm
