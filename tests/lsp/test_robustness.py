"""The server keeps serving whatever it is sent: unknown methods,
cancellations, requests on documents that are not open, edits that make
no sense."""

from __future__ import annotations

import asyncio
import json
import random

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcMethodNotFound

from lsputil import (
    apply_edits,
    comparable,
    example,
    hover,
    open_and_wait,
    PROBE_URI,
    open_doc,
    position,
    until,
)

P = types.Position
R = types.Range
Change = types.TextDocumentContentChangePartial


async def still_serving(doc):
    """A hover and fresh diagnostics still come back."""
    assert "**RESUME**" in (await hover(doc, doc.pos("RESUME")))


async def test_unknown_request_is_method_not_found(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "h.pyasm")
    with pytest.raises(JsonRpcMethodNotFound) as e:
        await client.protocol.send_request_async("pyasm/noSuchMethod", {"x": 1})
    assert e.value.code == -32601
    # A standard method the server does not implement.
    with pytest.raises(JsonRpcMethodNotFound):
        await client.text_document_signature_help_async(
            types.SignatureHelpParams(text_document=doc.ident, position=doc.pos("RESUME"))
        )
    # An unknown notification is ignored.
    client.protocol.notify("pyasm/noSuchNotification", {"x": 1})
    await still_serving(doc)


def send_together(client, build):
    """Sends the messages `build` sends in a single write, so the server
    reads them together."""
    proto = client.protocol
    writer = proto.writer
    chunks = []

    class Collect:
        def write(self, data):
            chunks.append(data)

        def close(self):
            pass

    proto.writer = Collect()
    try:
        out = build()
    finally:
        proto.writer = writer
    writer.write(b"".join(chunks))
    return out


async def test_cancelled_requests(client, tmp_path):
    """tower-lsp-server answers a request cancelled while its handler is
    pending with RequestCancelled (-32800); one that completed first keeps
    its result. This server's handlers finish at their first poll, so which
    one a client sees depends on whether the cancel is read before the
    handler runs; either way each request gets exactly one answer, the
    right one, and the server carries on."""
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "h.pyasm")
    params = types.HoverParams(text_document=doc.ident, position=doc.pos("RESUME"))
    expected = await client.text_document_hover_async(params)
    outcomes = []
    for i in range(40):
        mid = f"cancel-me-{i}"

        def build():
            fut = client.protocol.send_request_async(types.TEXT_DOCUMENT_HOVER, params, msg_id=mid)
            client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=mid))
            return fut

        fut = send_together(client, build)
        try:
            got = await asyncio.wait_for(fut, 10)
        except JsonRpcException as e:
            assert e.code == -32800, e
            outcomes.append("cancelled")
        else:
            assert got == expected
            outcomes.append("answered")
    assert len(outcomes) == 40
    print("cancellation outcomes:", {o: outcomes.count(o) for o in set(outcomes)})

    # Cancelling what is already answered, or was never asked, changes
    # nothing.
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="cancel-me-0"))
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=123456))
    assert await client.text_document_hover_async(params) == expected


async def test_requests_on_a_document_that_is_not_open(client, tmp_path):
    ident = types.TextDocumentIdentifier(uri=(tmp_path / "closed.pyasm").as_uri())
    pos = P(line=0, character=0)
    whole = R(start=pos, end=P(line=5, character=0))
    c = client
    assert await c.text_document_hover_async(types.HoverParams(text_document=ident, position=pos)) is None
    assert await c.text_document_definition_async(types.DefinitionParams(text_document=ident, position=pos)) is None
    assert (
        await c.text_document_references_async(
            types.ReferenceParams(
                text_document=ident,
                position=pos,
                context=types.ReferenceContext(include_declaration=True),
            )
        )
        is None
    )
    assert await c.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=ident, position=pos)) is None
    assert await c.text_document_rename_async(types.RenameParams(text_document=ident, position=pos, new_name="x")) is None
    assert await c.text_document_completion_async(types.CompletionParams(text_document=ident, position=pos)) is None
    assert await c.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=ident)) is None
    assert await c.text_document_folding_range_async(types.FoldingRangeParams(text_document=ident)) is None
    assert await c.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=ident)) is None
    assert await c.text_document_inlay_hint_async(types.InlayHintParams(text_document=ident, range=whole)) is None
    assert (
        await c.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=ident, options=types.FormattingOptions(tab_size=4, insert_spaces=True)
            )
        )
        is None
    )
    assert (
        await c.text_document_code_action_async(
            types.CodeActionParams(text_document=ident, range=whole, context=types.CodeActionContext(diagnostics=[]))
        )
        is None
    )
    # Changing or closing it is ignored too.
    c.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=ident.uri, version=2),
            content_changes=[Change(range=whole, text="junk")],
        )
    )
    doc, diags = await open_and_wait(client, example("3.11", "hello"), tmp_path / "h.pyasm")
    assert diags == []
    assert [p.uri for p in client.published if p.uri != PROBE_URI] == [doc.uri]
    # After closing, a document is gone again.
    doc.close()
    assert await hover(doc, doc.pos("RESUME")) is None


async def test_garbage_edits(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "closure"), tmp_path / "c.pyasm")
    end = doc.text.count("\n")
    garbage = [
        # Past the end of the document.
        [Change(range=R(start=P(line=500, character=3), end=P(line=900, character=0)), text="\nPOP_TOP\n")],
        # Past the end of a line.
        [Change(range=R(start=P(line=3, character=400), end=P(line=3, character=900)), text="x")],
        # End before start.
        [Change(range=R(start=P(line=20, character=5), end=P(line=2, character=0)), text="yy")],
        # Everything, several times in one batch.
        [
            Change(range=R(start=P(line=0, character=0), end=P(line=10**6, character=0)), text=""),
            Change(range=R(start=P(line=0, character=0), end=P(line=0, character=0)), text=""),
            Change(range=R(start=P(line=7, character=7), end=P(line=9, character=9)), text=""),
        ],
        # Binary-ish text, control characters, lone CRs, a NUL, unbalanced brackets.
        [
            Change(
                range=R(start=P(line=0, character=0), end=P(line=0, character=0)),
                text="\x00\x01\ufffd\x7f\x1b[0m 😀\r\r\n\t.code \x00 LOAD_CONST '\\xff' #99999999999999999999 @ : - 1:2-3:4 ((((((\n"
                ".code m\n  LOAD_CONST (((((((((((((((((((\n  BUILD_TUPLE 4294967296\n  EXTENDED_ARG\n  JUMP_FORWARD\n",
            )
        ],
        # A whole new text, then an edit inside a surrogate pair.
        [
            types.TextDocumentContentChangeWholeDocument(text=".python 3.11\n.code module\n  LOAD_CONST '😀😀'\n"),
            Change(range=R(start=P(line=2, character=15), end=P(line=2, character=16)), text=""),
        ],
        # Text that is valid except for a huge number of lines and labels.
        [types.TextDocumentContentChangeWholeDocument(text=".python 3.11\n.code module\n" + "l:\n" * 2000 + "  NOP\n" * 2000)],
        # Back to something sensible.
        [types.TextDocumentContentChangeWholeDocument(text=example("3.11", "closure"))],
    ]
    assert end > 0
    for batch in garbage:
        doc.send(batch)
        await doc.diagnostics()
        # Every feature still answers on whatever the text is now.
        pos = P(line=2, character=3)
        await client.text_document_hover_async(types.HoverParams(text_document=doc.ident, position=pos))
        await client.text_document_completion_async(types.CompletionParams(text_document=doc.ident, position=pos))
        await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=doc.ident))
        await client.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=doc.ident, options=types.FormattingOptions(tab_size=4, insert_spaces=True)
            )
        )
        await client.text_document_inlay_hint_async(
            types.InlayHintParams(text_document=doc.ident, range=R(start=P(line=0, character=0), end=P(line=10**6, character=0)))
        )
    doc.text = example("3.11", "closure")
    assert await doc.diagnostics() == []
    await still_serving(doc)


PIECES = [
    "\n", " ", "é", "😀", "\r", "\r\n", "#", "#1", "@", "@f", ":", "(", ")", "'", '"', ",",
    "NULL|self +", "LOAD_CONST", "POP_TOP", "JUMP_FORWARD l", "l:", ".code f\n", ".var x cell",
    "12:3-4", "-", "EXTENDED_ARG", ".except a b -> c", "\t", "LOAD_FAST x", "STORE_FAST x",
]


def same_tokens(a: str, b: str) -> bool:
    """The same non-blank text on the same non-blank lines."""
    def squeeze(t):
        return [x for x in ("".join(l.split()) for l in t.split("\n")) if x]

    return squeeze(a) == squeeze(b)


@pytest.mark.parametrize("seed", [3, 8, 19])
async def test_random_edits(client, tmp_path, seed):
    """Random edits of the examples, of every version, with non-ASCII
    characters, lone CRs and fragments of the dialect. Along the way: the
    diagnostics of each version come back and equal those of the same text
    opened fresh, every request answers without an error, and formatting
    keeps all the text. (Seed 19 once made the verifier panic, which
    dropped the document; seeds 3 and 8 made formatting lose comments.)"""
    rng = random.Random(seed)
    names = ["closure", "try_except", "generator", "class", "loop"]
    versions = ["3.11", "3.12", "3.13", "3.14", "3.15"]
    doc, _ = await open_and_wait(
        client, example(rng.choice(versions), rng.choice(names)), tmp_path / "f.pyasm"
    )
    whole = R(start=P(line=0, character=0), end=P(line=10**5, character=0))
    for step in range(120):
        n = len(doc.text)
        a = rng.randrange(n + 1)
        b = min(n, a + rng.choice([0, 0, 1, 2, 5, 20]))
        new = "".join(rng.choice(PIECES) for _ in range(rng.choice([0, 1, 1, 2, 3])))
        # Never split a CRLF (no LSP position is inside one).
        if 0 < a < n and doc.text[a - 1] == "\r" and doc.text[a] == "\n":
            a -= 1
        if 0 < b < n and doc.text[b - 1] == "\r" and doc.text[b] == "\n":
            b += 1
        doc.change(a, max(a, b), new)
        if step % 5:
            continue
        diags = await doc.diagnostics()
        fresh_doc = open_doc(client, doc.text, uri=f"untitled:random-{seed}-{step}")
        fresh = await fresh_doc.diagnostics()
        fresh_doc.close()
        assert comparable(diags) == comparable(fresh), (step, doc.text)
        o = rng.randrange(len(doc.text) + 1)
        if 0 < o < len(doc.text) and doc.text[o - 1] == "\r" and doc.text[o] == "\n":
            o -= 1
        p = position(doc.text, o)
        td = doc.ident
        await client.text_document_hover_async(types.HoverParams(text_document=td, position=p))
        await client.text_document_completion_async(types.CompletionParams(text_document=td, position=p))
        await client.text_document_definition_async(types.DefinitionParams(text_document=td, position=p))
        await client.text_document_references_async(
            types.ReferenceParams(
                text_document=td, position=p, context=types.ReferenceContext(include_declaration=True)
            )
        )
        await client.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=td, position=p))
        await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=td))
        await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=td))
        await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=td))
        await client.text_document_inlay_hint_async(types.InlayHintParams(text_document=td, range=whole))
        await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=td, range=R(start=p, end=p), context=types.CodeActionContext(diagnostics=diags)
            )
        )
        edits = await client.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=td, options=types.FormattingOptions(tab_size=4, insert_spaces=True)
            )
        )
        if edits:
            formatted = apply_edits(doc.text, edits, doc.encoding)
            assert same_tokens(formatted, doc.text), (step, doc.text, formatted)
    # The document is still there (whatever its text has become).
    r = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc.ident)
    )
    assert r is not None


# Hostile documents (tests/hostile.rs has the command line's side) ---------


def nested_module(depth: int) -> str:
    return (
        ".python 3.11\n.code module\n        RESUME 0\n"
        f"        LOAD_CONST {'(' * depth}1{',)' * depth}\n        RETURN_VALUE\n"
    )


async def every_request(client, doc, line: int, columns):
    """Asks for everything that walks the document, and for everything at
    each of `columns` of `line`, each within a time only a hang exceeds
    (these walks took minutes when they were quadratic in the nesting or
    in the items of one line)."""
    ident = doc.ident

    async def timed(aw):
        return await asyncio.wait_for(aw, 120)

    await timed(
        client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=ident))
    )
    await timed(client.text_document_folding_range_async(types.FoldingRangeParams(text_document=ident)))
    await timed(
        client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=ident))
    )
    await timed(
        client.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=ident,
                options=types.FormattingOptions(tab_size=4, insert_spaces=True),
            )
        )
    )
    for ch in columns:
        p = P(line=line, character=ch)
        await timed(hover(doc, p))
        await timed(
            client.text_document_completion_async(types.CompletionParams(text_document=ident, position=p))
        )
        await timed(
            client.text_document_references_async(
                types.ReferenceParams(
                    text_document=ident,
                    position=p,
                    context=types.ReferenceContext(include_declaration=True),
                )
            )
        )


async def test_a_document_nested_100000_levels(client, tmp_path):
    doc, diags = await open_and_wait(client, nested_module(100_000), tmp_path / "deep.pyasm")
    deep = [d for d in diags if d.code == "too-deep"]
    assert len(deep) == 1, diags
    # The bracket that makes 2000 levels, on line 4 (0-based 3).
    assert deep[0].range.start == P(line=3, character=19 + 1999)
    await still_serving(doc)
    await every_request(client, doc, 3, [19, 5_000, 50_000, 150_000])
    # Names nested as deep (each one is classified, with its parent).
    doc.replace_all(nested_module(0).replace("LOAD_CONST 1", "LOAD_CONST " + "(x, " * 30_000 + ")" * 30_000))
    assert "invalid-operand" in [d.code for d in await doc.diagnostics()]
    await every_request(client, doc, 3, [19, 40_000, 119_000])
    # At the limit, nothing is wrong, and the build writes a .pyc.
    doc.replace_all(nested_module(1997))
    assert await doc.diagnostics() == []
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="pyasm.build", arguments=[doc.uri])
    )
    assert (tmp_path / "deep.pyc").exists()


async def test_a_line_of_megabytes(client, tmp_path):
    text = nested_module(0).replace("LOAD_CONST 1", "LOAD_CONST '" + "é" * (1 << 20) + "'")
    doc, diags = await open_and_wait(client, text, tmp_path / "long.pyasm")
    assert diags == []
    doc.change(len(text) - len("RETURN_VALUE\n"), len(text) - 1, "RETURN_VALU")
    diags = await doc.diagnostics()
    assert "unknown-opcode" in [d.code for d in diags]
    await still_serving(doc)
    # A tuple of a million items on one line.
    doc.replace_all(nested_module(0).replace("LOAD_CONST 1", "LOAD_CONST (" + "x, " * 1_000_000 + "1)"))
    assert "invalid-operand" in [d.code for d in await doc.diagnostics()]
    await every_request(client, doc, 3, [19, 1_000_000, 3_000_000])


async def test_disassembling_a_hostile_pyc(client, tmp_path):
    header = bytes.fromhex("a70d0d0a") + bytes(12)
    cases = {
        "nested.pyc": (header + b")\x01" * 100_000 + b"N", "at byte 4016: "),
        "huge.pyc": (header + b"u" + (0x7FFFFFF0).to_bytes(4, "little") + b"abc", "at byte 17: "),
        "ref.pyc": (header + b"r" + (5).to_bytes(4, "little"), "at byte 17: "),
    }
    for name, (data, where) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(JsonRpcException, match=where):
            await client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="pyasm.disassemble", arguments=[str(tmp_path / name)]
                )
            )


async def test_out_of_range_change_is_clamped_and_logged(client, tmp_path):
    """F11: a didChange whose range lies outside the text, even with numbers
    no u32 holds, is applied clamped to the text (as VS Code's text model
    clamps positions) and logged as a warning; later edits then apply to
    the same text as the client's. Before, numbers outside u32 made the
    whole notification vanish without a word."""
    text = ".code module\n    LOAD_CONST None\n    RETURN_VALUE\n"
    doc = open_doc(client, text, tmp_path / "c.pyasm")
    assert await doc.diagnostics() == []

    def raw_change(version, start, end, new):
        # Written as bytes: pygls would refuse to send such numbers.
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didChange",
                "params": {
                "textDocument": {"uri": doc.uri, "version": version},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": start[0], "character": start[1]},
                            "end": {"line": end[0], "character": end[1]},
                        },
                        "text": new,
                    }
                ],
                },
            }
        ).encode()
        client.protocol.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    # Before the first line: the start of the text.
    raw_change(2, (-1, -5), (-1, 0), "# a\n")
    expected = "# a\n" + text
    # Past the last line, with a number beyond u32: the end of the text.
    raw_change(3, (2**32, 0), (2**40, 7), "# z\n")
    expected += "# z\n"
    # Past the end of its line: the end of that line.
    raw_change(4, (0, 99), (0, 400), "!")
    expected = "# a!" + expected[3:]
    # An ordinary edit, on the text as clamping made it.
    at = expected.index("    RETURN_VALUE")
    doc.version = 4
    doc.text = expected
    doc.change(at, at, "    POP_TOP\n")
    expected = doc.text
    diags = await doc.diagnostics()
    assert [d.code for d in diags] == ["stack-underflow"]
    d = diags[0]
    # The return finds the stack empty, on the line clamping put it on.
    assert doc.range_text(d.range) == "RETURN_VALUE"
    assert d.range.start.line == expected[:at].count("\n") + 1

    # The server's text is the clamped one: its formatting of it turns the
    # expected text into what the formatting of a fresh copy does.
    opts = types.FormattingOptions(tab_size=4, insert_spaces=True)
    fresh = open_doc(client, expected, tmp_path / "fresh.pyasm")
    mine = await client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=doc.ident, options=opts)
    )
    theirs = await client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=fresh.ident, options=opts)
    )
    assert apply_edits(expected, mine or []) == apply_edits(expected, theirs or [])

    # Each clamped change was logged as a warning.
    def warnings():
        ws = [m for m in client.log_messages if m.type == types.MessageType.Warning]
        return ws if len(ws) >= 4 else None

    ws = await until(warnings, "four warnings in the log")
    assert all("pyasm" in w.message for w in ws)
