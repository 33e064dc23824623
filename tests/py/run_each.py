"""Run several .pyc files, each as a main module of its own, in the running
interpreter, and print what each printed, or the exception that escaped
it, under a `== NAME` header. One interpreter start for many small
programs (pyodide takes seconds to start).

usage: run_each.py FILE.pyc ...
"""
import contextlib
import io
import marshal
import os
import sys

# A .pyc header: 16 bytes, 12 before 3.7 (no flags word).
HEADER = 12 if sys.version_info < (3, 7) else 16

for path in sys.argv[1:]:
    with open(path, "rb") as f:
        code = marshal.loads(f.read()[HEADER:])
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
    except BaseException as e:
        out.write(f"raised {type(e).__name__}: {e}\n")
    print(f"== {os.path.basename(path)}")
    print(out.getvalue(), end="")
