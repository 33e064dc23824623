"""Helpers for the language server tests: open documents and follow their
versions, wait for the diagnostics of a version, turn text offsets into LSP
positions in either encoding, apply the edits the server returns."""

from __future__ import annotations

import asyncio
import bisect
import os
import pathlib
import subprocess
import sys
from dataclasses import dataclass, field

from lsprotocol import types
from pytest_lsp import LanguageClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TIMEOUT = 15.0


def pyasm_bin() -> str:
    """The binary under test: PYASM_BIN, else target/debug/pyasm here."""
    b = os.environ.get("PYASM_BIN")
    if b:
        return b
    fallback = ROOT / "target" / "debug" / "pyasm"
    if fallback.exists():
        return str(fallback)
    raise RuntimeError(
        "set PYASM_BIN to the pyasm binary (cargo test --test lsp does), "
        "or build target/debug/pyasm"
    )


PYASM = pyasm_bin()


def example(version: str, name: str) -> str:
    return (EXAMPLES / version / f"{name}.pyasm").read_text()


def uri_of(path: pathlib.Path) -> str:
    return path.resolve().as_uri()


# Positions ------------------------------------------------------------------


def units(s: str, encoding: str) -> int:
    """The length of `s` in the code units of an LSP position encoding."""
    if encoding == "utf-8":
        return len(s.encode("utf-8"))
    if encoding == "utf-16":
        return len(s.encode("utf-16-le")) // 2
    raise ValueError(encoding)


def line_starts(text: str) -> list[int]:
    """Where each line starts. As in LSP, lines end at `\r\n`, `\r` or `\n`."""
    starts = [0]
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\r" and i + 1 < n and text[i + 1] == "\n":
            i += 2
            starts.append(i)
        elif c in "\r\n":
            i += 1
            starts.append(i)
        else:
            i += 1
    return starts


def line_end(text: str, start: int) -> int:
    """Where the line starting at `start` ends, before its line break."""
    i = start
    while i < len(text) and text[i] not in "\r\n":
        i += 1
    return i


def position(text: str, offset: int, encoding: str = "utf-16") -> types.Position:
    """The LSP position of a str offset (in code points) of `text`."""
    starts = line_starts(text)
    line = bisect.bisect_right(starts, offset) - 1
    start = starts[line]
    assert offset <= line_end(text, start), "offset inside a line break"
    return types.Position(line=line, character=units(text[start:offset], encoding))


def offset(text: str, pos: types.Position, encoding: str = "utf-16") -> int:
    """The str offset of an LSP position of `text` (exact: no clamping)."""
    starts = line_starts(text)
    assert pos.line < len(starts), (pos, len(starts))
    start = starts[pos.line]
    end = line_end(text, start)
    n = 0
    for i in range(start, end):
        if n == pos.character:
            return i
        n += units(text[i], encoding)
        assert n <= pos.character, f"{pos} is inside a character of {text[start:end]!r}"
    assert n == pos.character, f"{pos} is past the end of {text[start:end]!r}"
    return end


def find(text: str, needle: str, nth: int = 0, after: str | None = None) -> int:
    """The offset of the `nth` occurrence of `needle` (after `after`, if given)."""
    i = text.index(after) + len(after) if after else 0
    i = text.index(needle, i)
    for _ in range(nth):
        i = text.index(needle, i + 1)
    return i


def pos_of(
    text: str,
    needle: str,
    nth: int = 0,
    delta: int = 0,
    encoding: str = "utf-16",
    after: str | None = None,
) -> types.Position:
    """The position of `needle` in `text` (plus `delta` code points)."""
    return position(text, find(text, needle, nth, after) + delta, encoding)


def range_text(text: str, r: types.Range, encoding: str = "utf-16") -> str:
    return text[offset(text, r.start, encoding) : offset(text, r.end, encoding)]


def apply_edits(text: str, edits, encoding: str = "utf-16") -> str:
    """Applies non-overlapping TextEdits (as LSP defines them: all ranges refer
    to the text before any edit)."""
    spans = sorted(
        (
            (offset(text, e.range.start, encoding), offset(text, e.range.end, encoding), e.new_text)
            for e in edits
        ),
        key=lambda t: (t[0], t[1]),
    )
    out, last = [], 0
    for a, b, new in spans:
        assert a >= last, f"overlapping edits: {spans}"
        out.append(text[last:a])
        out.append(new)
        last = b
    out.append(text[last:])
    return "".join(out)


def workspace_edits(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    if edit.changes is not None:
        assert set(edit.changes) == {uri}, edit.changes.keys()
        return list(edit.changes[uri])
    assert edit.document_changes is not None, edit
    out = []
    for dc in edit.document_changes:
        assert dc.text_document.uri == uri
        out.extend(dc.edits)
    return out


# Documents -------------------------------------------------------------------


@dataclass
class Doc:
    """An open document, kept in step with what the server was told."""

    client: LanguageClient
    uri: str
    text: str
    version: int = 1
    encoding: str = "utf-16"
    path: pathlib.Path | None = None
    changes: list = field(default_factory=list)

    @property
    def ident(self) -> types.TextDocumentIdentifier:
        return types.TextDocumentIdentifier(uri=self.uri)

    def pos(self, needle: str, nth: int = 0, delta: int = 0, after: str | None = None):
        return pos_of(self.text, needle, nth, delta, self.encoding, after)

    def range_text(self, r: types.Range) -> str:
        return range_text(self.text, r, self.encoding)

    def change(self, start: int, end: int, new: str) -> None:
        """Sends one incremental change replacing text[start:end] (str
        offsets) and keeps the local copy in step."""
        r = types.Range(
            start=position(self.text, start, self.encoding),
            end=position(self.text, end, self.encoding),
        )
        self.send([types.TextDocumentContentChangePartial(range=r, text=new)])
        self.text = self.text[:start] + new + self.text[end:]

    def replace(self, old: str, new: str, nth: int = 0, after: str | None = None) -> None:
        i = find(self.text, old, nth, after)
        self.change(i, i + len(old), new)

    def replace_all(self, text: str) -> None:
        """A full-text change."""
        self.send([types.TextDocumentContentChangeWholeDocument(text=text)])
        self.text = text

    def send(self, changes) -> None:
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                content_changes=changes,
            )
        )

    async def diagnostics(self) -> list[types.Diagnostic]:
        """The diagnostics published for the current version."""
        return await wait_diagnostics(self.client, self.uri, self.version)

    def close(self) -> None:
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=self.ident)
        )


def encoding_of(client: LanguageClient) -> str:
    enc = client.init_result.capabilities.position_encoding
    return {"utf-8": "utf-8", "utf-16": "utf-16", None: "utf-16"}[enc]


def open_doc(
    client: LanguageClient,
    text: str,
    path: pathlib.Path | None = None,
    uri: str | None = None,
    version: int = 1,
) -> Doc:
    if uri is None:
        assert path is not None
        path.write_text(text)
        uri = uri_of(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="pyasm", version=version, text=text
            )
        )
    )
    return Doc(client, uri, text, version, encoding_of(client), path)


async def open_and_wait(client, text, path=None, uri=None, version=1):
    doc = open_doc(client, text, path, uri, version)
    diags = await doc.diagnostics()
    return doc, diags


async def until(cond, what: str, timeout: float = TIMEOUT):
    """Waits until `cond()` is truthy and returns its value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        v = cond()
        if v:
            return v
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


# Two texts for the probe document of `settle`: one with an error, one
# without, so that each switch between them is published.
PROBE_TEXTS = (
    ".code module\n    RETURN_VALUE\n",
    ".code module\n    LOAD_CONST None\n    RETURN_VALUE\n",
)
PROBE_URI = "untitled:pyasm-test-probe.pyasm"


async def settle(client) -> None:
    """Waits until the client has every publication the server will send
    for the notifications sent so far. The server publishes only what
    changed, so silence says nothing by itself; instead a probe document is
    switched between two texts with different diagnostics, and its
    publication awaited. The server handles notifications in order, each
    change publishing (or not) before the next is handled, and sends every
    notification through one queue: what the earlier changes published
    arrives before the probe's."""
    version = getattr(client, "probe_version", 0) + 1
    client.probe_version = version
    text = PROBE_TEXTS[version % 2]
    if version == 1:
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=PROBE_URI, language_id="pyasm", version=version, text=text
                )
            )
        )
    else:
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=PROBE_URI, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
    await until(
        lambda: any(p.uri == PROBE_URI and p.version == version for p in client.published),
        f"the probe's diagnostics, version {version}",
    )


async def wait_diagnostics(client, uri: str, version: int | None) -> list[types.Diagnostic]:
    """The diagnostics of `uri` at `version`: those of the first publication
    for it, or, when the server published none because the list did not
    change, the last ones published before it."""

    def found():
        for p in client.published:
            if p.uri == uri and p.version == version:
                return p
        return None

    p = found()
    if p is None:
        await settle(client)
        p = found()
    if p is None:
        earlier = [
            q
            for q in client.published
            if q.uri == uri and q.version is not None and version is not None and q.version < version
        ]
        assert earlier, f"no diagnostics of {uri} up to version {version}"
        p = earlier[-1]
    return list(p.diagnostics)


def publications(client, uri: str) -> list[types.PublishDiagnosticsParams]:
    return [p for p in client.published if p.uri == uri]


def comparable(diags):
    """Diagnostics as plain tuples, to compare two lists (whatever their URIs)."""
    return sorted(
        (
            d.code,
            d.range.start.line,
            d.range.start.character,
            d.range.end.line,
            d.range.end.character,
            d.severity,
            d.message,
            tuple(
                (r.location.range.start.line, r.location.range.start.character, r.message)
                for r in d.related_information or ()
            ),
        )
        for d in diags
    )


def codes(diags) -> list[str]:
    return sorted(d.code for d in diags)


def by_code(diags, code: str) -> list[types.Diagnostic]:
    return [d for d in diags if d.code == code]


# Requests --------------------------------------------------------------------


async def hover(doc: Doc, p: types.Position) -> str | None:
    h = await doc.client.text_document_hover_async(
        types.HoverParams(text_document=doc.ident, position=p)
    )
    if h is None:
        return None
    assert isinstance(h.contents, types.MarkupContent), h.contents
    assert h.contents.kind == types.MarkupKind.Markdown
    return h.contents.value


async def command(client, name: str, *args):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=list(args))
    )


def pyasm_build(pyasm: str, src: pathlib.Path, out: pathlib.Path) -> None:
    r = subprocess.run([pyasm, "build", str(src), "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def run_pyc(pyc: pathlib.Path) -> str:
    """Runs a .pyc in this interpreter (python3.11) and returns its stdout."""
    r = subprocess.run([sys.executable, str(pyc)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{pyc} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def decode_tokens(data: list[int], legend: list[str]):
    """(line, start, length, type name, modifiers) of each semantic token."""
    out = []
    line = col = 0
    assert len(data) % 5 == 0
    for i in range(0, len(data), 5):
        dl, ds, length, ty, mods = data[i : i + 5]
        line += dl
        col = ds if dl else col + ds
        out.append((line, col, length, legend[ty], mods))
    return out
