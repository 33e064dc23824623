"""Run a .pyc file as the main module, the way `python file.pyc` does, in
whichever interpreter runs this script (pyodide's have no command line of
their own).

usage: run_pyc.py FILE.pyc
"""
import marshal
import sys

with open(sys.argv[1], "rb") as f:
    data = f.read()
code = marshal.loads(data[16:])
sys.argv = sys.argv[1:]
exec(code, {"__name__": "__main__", "__builtins__": __builtins__, "__file__": sys.argv[0]})
