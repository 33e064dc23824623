"""Position encodings: UTF-16 code units unless the client offers UTF-8
(`general.positionEncodings`), in which case the server says so in its
InitializeResult and counts bytes. Ranges after non-ASCII and astral
characters, and edits placed after them, must land on the same text."""

from __future__ import annotations

import pytest
from lsprotocol import types

from lsputil import (
    PYASM,
    by_code,
    command,
    decode_tokens,
    open_and_wait,
    position,
    pyasm_build,
    units,
)

# 'é' is 2 bytes and 1 UTF-16 unit; '😀' 4 bytes and 2 UTF-16 units
# (a surrogate pair); the error comes after both, on the same line.
TEXT = """.python 3.11
.code module
1       RESUME 0
        LOAD_CONST ('é😀', @nope)
        POP_TOP
        LOAD_CONST 'é😀'
        POP_TOP
        LOAD_CONST None
        RETURN_VALUE
"""
LINE = "        LOAD_CONST ('é😀', @nope)"


def expected_range(encoding: str) -> types.Range:
    # The undefined block is reported on the whole constant.
    start = LINE.index("(")
    return types.Range(
        start=types.Position(line=3, character=units(LINE[:start], encoding)),
        end=types.Position(line=3, character=units(LINE, encoding)),
    )


async def test_default_is_utf16(client, tmp_path):
    assert client.init_result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
    doc, diags = await open_and_wait(client, TEXT, tmp_path / "enc.pyasm")
    (d,) = diags
    assert d.code == "undefined-name"
    assert d.range == expected_range("utf-16")
    # 19 + ( ' é 😀(2) ' , space @nope ) = 33
    assert d.range.end.character == 33
    assert doc.range_text(d.range) == "('é😀', @nope)"


async def test_utf8_when_offered(client_utf8, tmp_path):
    client = client_utf8
    assert client.init_result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    doc, diags = await open_and_wait(client, TEXT, tmp_path / "enc.pyasm")
    assert doc.encoding == "utf-8"
    (d,) = diags
    assert d.range == expected_range("utf-8")
    assert d.range.end.character == 36
    assert doc.range_text(d.range) == "('é😀', @nope)"


@pytest.mark.lsp(
    capabilities=types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf32]
        )
    )
)
async def test_falls_back_to_utf16(client, tmp_path):
    """A client offering only an encoding the server lacks gets UTF-16."""
    assert client.init_result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
    doc, diags = await open_and_wait(client, TEXT, tmp_path / "enc.pyasm")
    assert [d.range for d in diags] == [expected_range("utf-16")]


async def test_edit_after_astral_characters(client_any, tmp_path):
    """Edits whose positions come after 'é😀' on their line land where the
    client meant them: the server's text stays the client's (checked by
    building it), and new ranges on that line are right."""
    client = client_any
    doc, diags = await open_and_wait(client, TEXT, tmp_path / "enc.pyasm")
    assert len(diags) == 1

    # Replace `@nope` (after the emoji) by a valid constant: clean.
    doc.replace("@nope", "None")
    assert await doc.diagnostics() == []

    # Append an operand after the emoji on line 5: an error exactly there.
    end = doc.text.index("\n", doc.text.index("LOAD_CONST 'é😀'"))
    doc.change(end, end, " 'x'")
    # (The instruction is dropped, so the POP_TOP after it underflows too.)
    (d,) = by_code(await doc.diagnostics(), "invalid-operand")
    assert doc.range_text(d.range) == "'x'"
    line = "        LOAD_CONST 'é😀' 'x'"
    assert d.range.start == types.Position(
        line=5, character=units(line[: line.index("'x'")], doc.encoding)
    )

    # Delete it again with a range after the emoji; insert text between the
    # emoji and the closing quote.
    doc.change(end, end + 4, "")
    assert await doc.diagnostics() == []
    i = doc.text.index("😀'\n") + 1
    doc.change(i, i, "ü!")
    assert await doc.diagnostics() == []
    assert "('é😀', None)" in doc.text and "LOAD_CONST 'é😀ü!'" in doc.text

    # The server's copy is the client's: what it builds is what the CLI
    # builds from the client's text, saved under the document's own path
    # (the module's co_filename is the path a build is given).
    res = await command(client, "pyasm.build", doc.uri)
    served = (tmp_path / "enc.pyc").read_bytes()
    src = tmp_path / "enc.pyasm"
    src.write_text(doc.text)
    pyasm_build(PYASM, src, tmp_path / "client.pyc")
    assert res["path"] == str(tmp_path / "enc.pyc")
    assert served == (tmp_path / "client.pyc").read_bytes()


async def test_position_inside_a_surrogate_pair(client, tmp_path):
    """A UTF-16 position between the two halves of '😀' is clamped to the
    character's start: an edit there neither splits it nor fails."""
    doc, _ = await open_and_wait(client, TEXT, tmp_path / "enc.pyasm")
    line = "        LOAD_CONST 'é😀'"
    inside = units(line[: line.index("😀")], "utf-16") + 1
    r = types.Range(
        start=types.Position(line=5, character=inside),
        end=types.Position(line=5, character=inside),
    )
    doc.send([types.TextDocumentContentChangePartial(range=r, text="a")])
    doc.text = doc.text.replace("LOAD_CONST 'é😀'", "LOAD_CONST 'éa😀'")
    await doc.diagnostics()
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=doc.ident, position=position(doc.text, doc.text.index("'éa😀'"))
        )
    )
    assert hover is not None and "'éa😀'" in hover.contents.value


async def test_semantic_tokens_measure_in_the_encoding(client_any, tmp_path):
    client = client_any
    doc, _ = await open_and_wait(client, TEXT, tmp_path / "enc.pyasm")
    legend = list(client.init_result.capabilities.semantic_tokens_provider.legend.token_types)
    res = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc.ident)
    )
    toks = decode_tokens(list(res.data), legend)
    strings = [
        doc.range_text(
            types.Range(
                start=types.Position(line=l, character=c),
                end=types.Position(line=l, character=c + n),
            )
        )
        for l, c, n, ty, _ in toks
        if ty == "string"
    ]
    assert strings == ["'é😀'", "'é😀'"]
    # The token after the emoji on line 3 starts where `@nope` does.
    (at,) = [(l, c) for l, c, n, ty, _ in toks if ty == "function" and l == 3]
    assert types.Position(line=at[0], character=at[1]) == doc.pos("@nope")
