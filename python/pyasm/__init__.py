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

pyasm reads and writes CPython 3.6 to 3.15 (``SUPPORTED_VERSIONS``).
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
    "from_json",
    "to_json",
]

#: The Python versions pyasm reads and writes, oldest first, as ``"3.11"``.
SUPPORTED_VERSIONS: Tuple[str, ...] = tuple(_pyasm.versions())

try:
    _RUNNING: Optional[str] = _pyasm.version_of(*sys.version_info[:2])
    _UNSUPPORTED = ""
except ValueError as e:
    _RUNNING = None
    _UNSUPPORTED = str(e)


class Note(NamedTuple):
    """A secondary message of a diagnostic: a place such as "label defined
    here", or a help text such as "did you mean ...", which has no place
    (its line and columns are None).

    Lines and columns are 1-based; columns count characters, as ``str``
    does; the end is the place just after the last character.
    """

    message: str
    line: Optional[int]
    column: Optional[int]
    end_line: Optional[int]
    end_column: Optional[int]


class Diagnostic(NamedTuple):
    """One finding on a ``.pyasm`` text or a JSON document, as ``pyasm
    check`` reports it.

    ``code`` is a stable identifier (``syntax``, ``stack-underflow``, ...;
    docs/pyasm.md lists them all) and ``severity`` is ``"error"`` or
    ``"warning"``. Lines and columns are 1-based, columns count characters
    as ``str`` does, and ``end_line``, ``end_column`` is the place just
    after the span. ``notes`` are the secondary places and help texts. On
    a JSON document (``from_json``) the place is the member the diagnostic
    is about, and ``pointer`` its JSON pointer (``/blocks/0/body/3/arg``);
    on a text ``pointer`` is None.
    """

    code: str
    severity: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    notes: Tuple[Note, ...]
    pointer: Optional[str] = None


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
    if _RUNNING is None:
        raise UnsupportedVersionError(
            "%s; this interpreter's code objects cannot be disassembled or "
            "assembled here, but .pyc files and texts of those versions can "
            "(disassemble of a .pyc, assemble_pyc, check)" % _UNSUPPORTED
        )
    return _RUNNING


def _text_bytes(text: object) -> bytes:
    if not isinstance(text, str):
        raise TypeError("text must be str, not %s" % type(text).__name__)
    # A lone surrogate goes over as bytes that are not UTF-8, for the
    # extension to report where it is.
    return text.encode("utf-8", "surrogatepass")


def _names(filename: "Optional[PathLike]") -> Tuple[Optional[str], str]:
    """The module's co_filename where the text gives none (None: ''), and
    the name the report shows."""
    if filename is None:
        return None, "<string>"
    name = os.fspath(filename)
    if not isinstance(name, str):
        raise TypeError("filename must be str or os.PathLike[str], not bytes")
    return name, name


def _load_code(code: bytes, version: str, running: str, what: str,
               instead: str) -> types.CodeType:
    """The code object of marshal bytes built for ``version``, which must
    be the running interpreter's; ``what`` and ``instead`` word the error."""
    if version != running:
        raise AssemblyError(
            "%s and this is Python %s, which cannot load a %s code object%s"
            % (what, running, version, instead),
            [],
        )
    co = marshal.loads(code)
    if not isinstance(co, types.CodeType):
        raise RuntimeError("pyasm built something other than a code object")
    return co


def _diagnostics(raw: list, pointers: Optional[List[str]] = None) -> List[Diagnostic]:
    return [
        Diagnostic(*d[:7], tuple(Note(*n) for n in d[7]), pointers[k] if pointers else None)
        for k, d in enumerate(raw)
    ]


def _assemble(text: str, filename: "Optional[PathLike]") -> Tuple[str, bytes, bytes]:
    data = _text_bytes(text)
    name, shown = _names(filename)
    version, code, pyc, diags, report = _pyasm.assemble(
        data, name, shown, _RUNNING, True)
    if code is None or pyc is None:
        raise AssemblyError(report, _diagnostics(diags))
    return version, code, pyc


def disassemble(x: Union[types.CodeType, types.FunctionType, types.MethodType,
                         bytes, bytearray, memoryview, PathLike]) -> str:
    """The ``.pyasm`` text of a code object, function, method or ``.pyc``.

    ``x`` is a code object of the running interpreter, a function or
    method (its ``__code__``), the bytes of a ``.pyc`` file (header
    included), or the path of one (``str`` or ``os.PathLike``). The text
    names its version on its ``.python`` line; ``assemble`` (for a code
    object) or ``assemble_pyc`` (for a ``.pyc``) builds it back identical.

    Raises ``UnsupportedVersionError`` for a code object when the running
    interpreter is not a version pyasm supports, ``ValueError`` when the
    bytes are not a ``.pyc`` of a supported version (the message names the
    byte offset), ``OSError`` when the file cannot be read, and
    ``TypeError`` for anything else.
    """
    code = getattr(x, "__code__", x)
    if isinstance(code, types.CodeType):
        return _pyasm.disassemble_code(marshal.dumps(code), _running_version())
    if isinstance(x, (bytes, bytearray, memoryview)):
        return _pyasm.disassemble_pyc(bytes(x))[1]
    if isinstance(x, (str, os.PathLike)):
        path = os.fspath(x)
        with open(path, "rb") as f:
            data = f.read()
        try:
            return _pyasm.disassemble_pyc(data)[1]
        except ValueError as e:
            raise ValueError("%s: %s" % (os.fsdecode(path), e)) from None
    raise TypeError(
        "disassemble() takes a code object, a function or method, the bytes "
        "of a .pyc or its path, not %s" % type(x).__name__
    )


def assemble(text: str, *, filename: "Optional[PathLike]" = None) -> types.CodeType:
    """The code object of a ``.pyasm`` text, for the running interpreter.

    A text without a ``.python`` line is for the running version.
    ``filename`` is the module's ``co_filename`` where the text has no
    ``.filename`` (else ``''``), and the file the error report names.

    Raises ``AssemblyError`` when the text has errors (its ``diagnostics``
    say which and its ``str()`` is the report) or is for another Python
    version (``assemble_pyc`` builds those), and ``UnsupportedVersionError``
    when the running interpreter is not a version pyasm supports.
    """
    running = _running_version()
    version, code, _ = _assemble(text, filename)
    return _load_code(
        code, version, running,
        "the text is for Python %s (its .python line)" % version,
        "; pyasm.assemble_pyc(text) gives its .pyc",
    )


def assemble_pyc(text: str, *, filename: "Optional[PathLike]" = None) -> bytes:
    """The ``.pyc`` file, header included, of a ``.pyasm`` text, for the
    version the text names.

    A text without a ``.python`` line is for the running interpreter's
    version, or 3.11 (as for ``pyasm build``) where pyasm does not support
    the running one. ``filename`` is as for ``assemble``. Raises
    ``AssemblyError`` when the text has errors.
    """
    return _assemble(text, filename)[2]


def check(text: str, *, filename: "Optional[PathLike]" = None) -> List[Diagnostic]:
    """Every diagnostic of a ``.pyasm`` text, errors and warnings, in the
    order of the text.

    Never raises on bad text: a list without errors means ``assemble_pyc``
    succeeds (and ``assemble`` too, for a text of the running version). A
    text without a ``.python`` line is read as ``assemble_pyc`` reads it;
    ``filename`` names the file as for ``assemble``. Raises ``TypeError``
    when ``text`` is not a ``str``.
    """
    data = _text_bytes(text)
    name, shown = _names(filename)
    diags = _pyasm.assemble(data, name, shown, _RUNNING, False)[3]
    return _diagnostics(diags)


def to_json(x: Union[types.CodeType, types.FunctionType, types.MethodType,
                     bytes, bytearray, memoryview, PathLike]) -> str:
    """The module as JSON, as ``pyasm dis --format json`` writes it (the
    schema is docs/pyasm.schema.json): every field, instruction, label,
    position and exception region, constants typed exactly.

    ``x`` is what ``disassemble`` takes, and raises what it raises.
    ``from_json`` (for a code object) builds it back identical.
    """
    code = getattr(x, "__code__", x)
    if isinstance(code, types.CodeType):
        return _pyasm.to_json(marshal.dumps(code), _running_version())
    if isinstance(x, (bytes, bytearray, memoryview)):
        return _pyasm.to_json(bytes(x), None)
    if isinstance(x, (str, os.PathLike)):
        path = os.fspath(x)
        with open(path, "rb") as f:
            data = f.read()
        try:
            return _pyasm.to_json(data, None)
        except ValueError as e:
            raise ValueError("%s: %s" % (os.fsdecode(path), e)) from None
    raise TypeError(
        "to_json() takes a code object, a function or method, the bytes "
        "of a .pyc or its path, not %s" % type(x).__name__
    )


def from_json(data: Union[str, bytes], *,
              filename: "Optional[PathLike]" = None) -> types.CodeType:
    """The code object of a JSON module (``to_json``, ``pyasm dis --format
    json``), built by the same assembler and verifier as ``assemble``.

    ``data`` is the document as ``str`` or UTF-8 ``bytes``; ``filename``
    is as for ``assemble``. Raises ``AssemblyError`` when the document is
    not a module (not JSON, or not of the schema: one diagnostic naming
    the member at fault and what was expected) or the module has errors,
    or is for another Python version; its ``diagnostics`` give each one's
    line and column in ``data`` and its JSON ``pointer``, and its
    ``str()`` names them too. ``UnsupportedVersionError`` as ``assemble``
    does.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data).decode("utf-8")
    if not isinstance(data, str):
        raise TypeError("data must be str or bytes, not %s" % type(data).__name__)
    running = _running_version()
    name, shown = _names(filename)
    version, code, _, diags, pointers, report = _pyasm.from_json(data, name, shown)
    if code is None:
        raise AssemblyError(report, _diagnostics(diags, pointers))
    return _load_code(
        code, version, running, "the module is for Python %s" % version, ""
    )
