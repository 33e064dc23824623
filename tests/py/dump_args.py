"""Print each instruction of a .pyc's module code as `OPNAME|arg|argrepr`,
decoded by the running interpreter's own dis module.

usage: dump_args.py FILE.pyc
"""
import dis
import marshal
import sys

# A .pyc header: 16 bytes, 12 before 3.7 (no flags word).
HEADER = 12 if sys.version_info < (3, 7) else 16

with open(sys.argv[1], "rb") as f:
    code = marshal.loads(f.read()[HEADER:])
for ins in dis.get_instructions(code):
    print(f"{ins.opname}|{ins.arg}|{ins.argrepr}")
