"""Run a .pyc file as the main module, the way `python file.pyc` does, in
whichever interpreter runs this script (pyodide's have no command line of
their own).

usage: run_pyc.py FILE.pyc
"""
import marshal
import sys

# A .pyc header: 16 bytes, 12 before 3.7 (no flags word).
HEADER = 12 if sys.version_info < (3, 7) else 16

with open(sys.argv[1], "rb") as f:
    data = f.read()
code = marshal.loads(data[HEADER:])
sys.argv = sys.argv[1:]
exec(code, {"__name__": "__main__", "__builtins__": __builtins__, "__file__": sys.argv[0]})
