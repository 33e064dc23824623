"""Compiles every .py file beside this script into NAME-X.Y.pyc with the
interpreter that runs it. The .pyc records the hash of its source and is
never checked against it (no timestamp), and co_filename is the bare file
name, so the output depends on the interpreter alone."""

import os
import py_compile
import sys

here = os.path.dirname(os.path.abspath(__file__))
version = "%d.%d" % sys.version_info[:2]
for name in sorted(os.listdir(here)):
    if not name.endswith(".py") or name == "compile.py":
        continue
    py_compile.compile(
        os.path.join(here, name),
        cfile=os.path.join(here, "%s-%s.pyc" % (name[:-3], version)),
        dfile=name,
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    print("compiled", name, "with", version)
