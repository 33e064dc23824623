"""Compile every .py file under SRC into .pyc files under OUT, mirroring the
tree, with the running interpreter. Files the interpreter refuses to compile
(deliberately broken test inputs) are counted and skipped.

usage: compile_tree.py SRC OUT [--exclude DIRNAME ...]
SRC may be the word STDLIB: the running interpreter's own standard library
(inside pyodide, the sources unpacked from its python_stdlib.zip).
Prints: compiled N, refused K
"""
import importlib._bootstrap_external as ext
import os
import sys


# 3.6 has no PEP 552 headers, nor the function that writes one.
to_pyc = getattr(ext, "_code_to_timestamp_pyc", None) or ext._code_to_bytecode


def main():
    src, out = sys.argv[1], sys.argv[2]
    if src == "STDLIB":
        # pyodide keeps its standard library in a zip on sys.path.
        zips = [p for p in sys.path if p.endswith(".zip") and os.path.exists(p)]
        if zips:
            src = zips[0]
        else:
            import sysconfig

            src = sysconfig.get_paths()["stdlib"]
    exclude = set(sys.argv[4:]) if len(sys.argv) > 3 and sys.argv[3] == "--exclude" else set()
    compiled = refused = 0
    if src.endswith(".zip"):
        import zipfile

        with zipfile.ZipFile(src) as z:
            for rel in sorted(z.namelist()):
                if not rel.endswith(".py") or any(part in exclude for part in rel.split("/")):
                    continue
                try:
                    code = compile(z.read(rel), rel, "exec", dont_inherit=True)
                except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError, OverflowError):
                    refused += 1
                    continue
                data = to_pyc(code, 0, 0)
                target = os.path.join(out, rel[:-3] + ".pyc")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(data)
                compiled += 1
        print(f"compiled {compiled}, refused {refused}")
        return
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d not in exclude and d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            try:
                with open(path, "rb") as f:
                    source = f.read()
                code = compile(source, path, "exec", dont_inherit=True)
            except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError, OverflowError):
                refused += 1
                continue
            st = os.stat(path)
            data = to_pyc(code, int(st.st_mtime), st.st_size)
            target = os.path.join(out, rel[:-3] + ".pyc")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
            compiled += 1
    print(f"compiled {compiled}, refused {refused}")


main()
