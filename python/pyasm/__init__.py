"""Assemble, disassemble and check CPython bytecode.

pyasm turns code objects and ``.pyc`` files into ``.pyasm`` text, in which
every field of a code object is written out, and puts text back together
into code objects and ``.pyc`` files exactly: ``assemble(disassemble(co))``
is equal to ``co`` in every field. Before anything is built the text is
verified, so that bytecode that would crash the interpreter is refused with
a diagnostic instead.

Edit a live function::

    import pyasm

    def greet():
        return "hello"

    text = pyasm.disassemble(greet).replace("'hello'", "'goodbye'")
    greet.__code__ = pyasm.assemble(text)
    assert greet() == "goodbye"

pyasm reads and writes CPython 3.11 to 3.15 (``SUPPORTED_VERSIONS``).
Code objects are those of the running interpreter, so ``assemble`` and the
disassembly of a code object need it to be one of those; ``.pyc`` files and
texts of any supported version work in any interpreter. See docs/python.md.
"""

import marshal
import os
import sys
import types
from typing import List, NamedTuple, Optional, Tuple, Union

from . import _pyasm

__all__ = [
    "SUPPORTED_VERSIONS",
    "AssemblyError",
    "Diagnostic",
    "Note",
    "UnsupportedVersionError",
    "assemble",
    "assemble_pyc",
    "check",
    "disassemble",
]

#: The Python versions pyasm reads and writes, oldest first, as ``"3.11"``.
SUPPORTED_VERSIONS: Tuple[str, ...] = tuple(_pyasm.versions())

#: The version a text without a ``.python`` line is for when the running
#: interpreter is not supported: the one ``pyasm build`` takes.
_DIALECT_DEFAULT = SUPPORTED_VERSIONS[0]

_RUNNING = "%d.%d" % sys.version_info[:2]


class Note(NamedTuple):
    """A secondary place of a diagnostic, such as "label defined here".

    Lines and columns are 1-based; columns count characters.
    """

    message: str
    line: int
    column: int
    end_line: int
    end_column: int


class Diagnostic(NamedTuple):
    """One finding on a ``.pyasm`` text, as ``pyasm check`` reports it.

    ``code`` is a stable identifier (``syntax``, ``stack-underflow``, ...;
    docs/pyasm.md lists them all), ``severity`` is ``"error"`` or
    ``"warning"``. Lines and columns are 1-based and columns count
    characters; ``end_line`` and ``end_column`` are where the span ends
    (exclusive). ``help`` is a suggestion such as "did you mean ...", or None.
    """

    code: str
    severity: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    notes: Tuple[Note, ...]
    help: Optional[str]


class AssemblyError(Exception):
    """A text that cannot be assembled.

    ``diagnostics`` lists what is wrong (empty when the text is fine but for
    another Python version); ``str()`` of the error is the report ``pyasm
    check`` prints.
    """

    def __init__(self, report: str, diagnostics: List[Diagnostic]) -> None:
        super().__init__(report)
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        return str(self.args[0])


class UnsupportedVersionError(RuntimeError):
    """The running interpreter's code objects are of a version pyasm does
    not read or write."""


PathLike = Union[str, "os.PathLike[str]"]


def _running_version() -> str:
    if _RUNNING not in SUPPORTED_VERSIONS:
        raise UnsupportedVersionError(
            "this is Python %s, whose code objects pyasm cannot read or write: "
            "pyasm supports Python %s. (.pyc files and texts of those versions "
            "work here: disassemble(a .pyc), assemble_pyc, check.)"
            % (_RUNNING, ", ".join(SUPPORTED_VERSIONS))
        )
    return _RUNNING


def _default_version() -> str:
    return _RUNNING if _RUNNING in SUPPORTED_VERSIONS else _DIALECT_DEFAULT


def _text_bytes(text: object) -> bytes:
    if not isinstance(text, str):
        raise TypeError("text must be str, not %s" % type(text).__name__)
    # A lone surrogate goes over as bytes that are not UTF-8, for the
    # extension to report where it is.
    return text.encode("utf-8", "surrogatepass")


def _names(filename: "Optional[PathLike]") -> Tuple[str, str]:
    """The module's co_filename where the text gives none, and the name the
    report shows."""
    if filename is None:
        return "", "<string>"
    name = os.fspath(filename)
    if not isinstance(name, str):
        raise TypeError("filename must be str or os.PathLike[str], not bytes")
    return name, name


def _diagnostics(raw: list) -> List[Diagnostic]:
    return [
        Diagnostic(code, severity, message, line, column, end_line, end_column,
                   tuple(Note(*n) for n in notes), help_)
        for (code, severity, message, line, column, end_line, end_column,
             notes, help_) in raw
    ]


def _assemble(text: str, filename: "Optional[PathLike]") -> Tuple[str, bytes, bytes]:
    data = _text_bytes(text)
    name, shown = _names(filename)
    version, code, pyc, diags, report = _pyasm.assemble(data, name, shown, _default_version())
    if code is None or pyc is None or version is None:
        raise AssemblyError(report, _diagnostics(diags))
    return version, code, pyc


def disassemble(x: Union[types.CodeType, types.FunctionType, types.MethodType,
                         bytes, bytearray, memoryview, PathLike]) -> str:
    """The ``.pyasm`` text of a code object, function, method or ``.pyc``.

    ``x`` is a code object of the running interpreter, a function or
    method (its ``__code__``), the bytes of a ``.pyc`` file (header
    included), or the path of one (``str`` or ``os.PathLike``).

    Raises ``UnsupportedVersionError`` for a code object when the running
    interpreter is not a supported version, ``ValueError`` when the bytes
    are not a ``.pyc`` of a supported version (the message names the byte
    offset), ``OSError`` when the file cannot be read and ``TypeError`` for
    anything else.
    """
    code = getattr(x, "__code__", x)
    if isinstance(code, types.CodeType):
        return _pyasm.disassemble_code(marshal.dumps(code), _running_version())
    if isinstance(x, (bytes, bytearray, memoryview)):
        return _pyasm.disassemble_pyc(bytes(x))
    if isinstance(x, (str, os.PathLike)):
        path = os.fspath(x)
        with open(path, "rb") as f:
            data = f.read()
        try:
            return _pyasm.disassemble_pyc(data)
        except ValueError as e:
            raise ValueError("%s: %s" % (os.fsdecode(path), e)) from None
    raise TypeError(
        "disassemble() takes a code object, a function or method, the bytes "
        "of a .pyc or its path, not %s" % type(x).__name__
    )


def assemble(text: str, *, filename: "Optional[PathLike]" = None) -> types.CodeType:
    """The code object of a ``.pyasm`` text, for the running interpreter.

    A text without a ``.python`` line is for the running version.
    ``filename`` is the module's ``co_filename`` where the text gives no
    ``.filename``, and the name the error report shows.

    Raises ``AssemblyError`` when the text has errors (its ``diagnostics``
    say which, its ``str()`` is the report) or is for another Python version
    (use ``assemble_pyc`` for that), and ``UnsupportedVersionError`` when the
    running interpreter is not a supported version.
    """
    running = _running_version()
    version, code, _ = _assemble(text, filename)
    if version != running:
        raise AssemblyError(
            "the text is for Python %s (its .python line) and this is Python %s, "
            "which cannot load a %s code object; pyasm.assemble_pyc(text) "
            "gives its .pyc" % (version, running, version),
            [],
        )
    co = marshal.loads(code)
    assert isinstance(co, types.CodeType)
    return co


def assemble_pyc(text: str, *, filename: "Optional[PathLike]" = None) -> bytes:
    """The ``.pyc`` file, header included, of a ``.pyasm`` text, for the
    version it names.

    A text without a ``.python`` line is for the running interpreter's
    version, or 3.11 where that is not supported. ``filename`` is as for
    ``assemble``. Raises ``AssemblyError`` when the text has errors.
    """
    return _assemble(text, filename)[2]


def check(text: str, *, filename: "Optional[PathLike]" = None) -> List[Diagnostic]:
    """Every diagnostic of a ``.pyasm`` text, in the order of the text.

    Never raises on bad text: an empty list means ``assemble_pyc`` (and, for
    the running version, ``assemble``) succeeds. A text without a
    ``.python`` line is checked as ``assemble_pyc`` reads it. Raises
    ``TypeError`` when ``text`` is not a ``str``.
    """
    data = _text_bytes(text)
    name, shown = _names(filename)
    diags, _ = _pyasm.check(data, name, shown, _default_version())
    return _diagnostics(diags)
