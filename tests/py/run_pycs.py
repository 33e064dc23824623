"""Run several .pyc files, each as a main module of its own, in one
interpreter, and print a JSON list of [stdout, error] pairs (error is the
traceback of an exception that escaped, or null). For pyodide, whose
start-up costs seconds: one start for many programs.

usage: run_pycs.py FILE.pyc...
"""
import contextlib
import io
import json
import marshal
import sys
import traceback

# A .pyc header: 16 bytes, 12 before 3.7 (no flags word).
HEADER = 12 if sys.version_info < (3, 7) else 16

results = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        code = marshal.loads(f.read()[HEADER:])
    out = io.StringIO()
    error = None
    with contextlib.redirect_stdout(out):
        try:
            exec(code, {"__name__": "__main__", "__builtins__": __builtins__, "__file__": path})
        except BaseException:
            error = traceback.format_exc()
    results.append([out.getvalue(), error])
print(json.dumps(results))
