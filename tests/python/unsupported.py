"""The pyasm wheel in an interpreter whose code objects pyasm does not read
or write (those tests/python/unsupported.txt lists, run by
tests/python/run.sh without pytest; none since 3.8, the oldest the abi3
wheel loads, is read and written): each function that needs the running
version raises UnsupportedVersionError naming the versions pyasm
supports, and the rest works."""

import pathlib
import subprocess
import sys
import tempfile

import pyasm

RUNNING = "%d.%d" % sys.version_info[:2]
EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "3.11" / "hello.pyasm"


def refused(f, *args):
    try:
        f(*args)
    except pyasm.UnsupportedVersionError as e:
        message = str(e)
        assert "unsupported Python version " + RUNNING in message, message
        assert ", ".join(pyasm.SUPPORTED_VERSIONS) in message, message
        return message
    raise AssertionError("%s did not refuse Python %s" % (f.__name__, RUNNING))


def main():
    assert RUNNING not in pyasm.SUPPORTED_VERSIONS
    print(refused(pyasm.disassemble, lambda: 0))
    refused(pyasm.disassemble, main.__code__)
    refused(pyasm.assemble, EXAMPLE.read_text())
    # .pyc files and texts of the supported versions work in any interpreter.
    text = EXAMPLE.read_text()
    assert pyasm.check(text) == []
    pyc = pyasm.assemble_pyc(text)
    assert pyasm.disassemble(pyc).startswith(".python 3.11\n")
    # So does the command line.
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "hello.pyc"
        script = pathlib.Path(sys.executable).parent / "pyasm"
        r = subprocess.run([str(script), "build", str(EXAMPLE), "-o", str(out)])
        assert r.returncode == 0 and out.read_bytes() == pyc
    print("Python %s: the clear error, and .pyc files, texts and the command line work" % RUNNING)


main()
