"""Print each instruction of a .pyc's module code as `OPNAME|arg|argrepr`,
decoded by the running interpreter's own dis module.

usage: dump_args.py FILE.pyc
"""
import dis
import marshal
import sys

with open(sys.argv[1], "rb") as f:
    code = marshal.loads(f.read()[16:])
for ins in dis.get_instructions(code):
    print(f"{ins.opname}|{ins.arg}|{ins.argrepr}")
