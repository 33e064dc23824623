"""Document symbols, folding ranges, semantic tokens and inlay hints."""

from __future__ import annotations

import re

import pytest
from lsprotocol import types

from lsputil import decode_tokens, example, hover, open_and_wait, until

CLOSURE = example("3.11", "closure")
WHOLE = types.Range(
    start=types.Position(line=0, character=0), end=types.Position(line=10_000, character=0)
)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n")


async def test_document_symbols_outline_the_blocks(client, tmp_path):
    doc, _ = await open_and_wait(client, CLOSURE, tmp_path / "closure.pyasm")
    syms = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc.ident)
    )
    assert [s.name for s in syms] == ["module", "bump", "make_counter"]
    assert [s.kind for s in syms] == [
        types.SymbolKind.Module,
        types.SymbolKind.Function,
        types.SymbolKind.Function,
    ]
    assert syms[0].detail == "module"
    # (The qualname as the dialect writes it: quoted, not an identifier.)
    assert syms[1].detail.strip("'") == "make_counter.<locals>.bump"
    for s in syms:
        assert s.selection_range.start == doc.pos(f".code {s.name}", delta=6)
        assert doc.range_text(s.selection_range) == s.name
        assert s.range.start == doc.pos(f".code {s.name}")
    # Each block runs to the next one.
    assert syms[0].range.end.line <= syms[1].range.start.line
    assert syms[1].range.end.line <= syms[2].range.start.line
    assert syms[2].range.end.line >= line_of(CLOSURE, "8       LOAD_FAST bump")


async def test_document_symbols_list_labels(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "loop"), tmp_path / "loop.pyasm")
    (module,) = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc.ident)
    )
    assert [(c.name, c.detail) for c in module.children] == [("top", "label"), ("done", "label")]
    assert module.children[0].range.start == doc.pos("top:")


async def test_folding_ranges(client, tmp_path):
    doc, _ = await open_and_wait(client, CLOSURE, tmp_path / "closure.pyasm")
    folds = await client.text_document_folding_range_async(
        types.FoldingRangeParams(text_document=doc.ident)
    )
    got = [(f.start_line, f.end_line, f.kind) for f in folds]
    region = types.FoldingRangeKind.Region
    # From each `.code` line to the block's last non-blank line.
    assert got == [
        (line_of(CLOSURE, ".code module"), line_of(CLOSURE, "RETURN_VALUE\n\n.code bump"), region),
        (line_of(CLOSURE, ".code bump"), line_of(CLOSURE, "RETURN_VALUE\n\n.code make_counter"), region),
        (line_of(CLOSURE, ".code make_counter"), CLOSURE.rstrip("\n").count("\n"), region),
    ]


async def test_semantic_tokens(client, tmp_path):
    doc, _ = await open_and_wait(client, CLOSURE, tmp_path / "closure.pyasm")
    legend = client.init_result.capabilities.semantic_tokens_provider.legend
    res = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc.ident)
    )
    assert res.data, "no tokens"
    toks = decode_tokens(list(res.data), list(legend.token_types))
    lines = CLOSURE.split("\n")
    by_text = {}
    for line, col, length, ty, mods in toks:
        text = lines[line][col : col + length]
        assert text and len(text) == length, (line, col, length)
        by_text.setdefault((line, text), []).append((ty, mods))
    decl = 1 << list(legend.token_modifiers).index("declaration")

    def tok(needle, text, nth=0):
        return by_text[(doc.pos(needle, nth=nth).line, text)]

    assert tok("# A closure", "# A closure: make_counter returns a function that bumps a shared cell.") == [("comment", 0)]
    assert tok(".python 3.11", ".python") == [("macro", 0)]
    assert tok(".code make_counter", "make_counter") == [("function", decl)]
    assert tok("LOAD_CONST @make_counter", "LOAD_CONST") == [("keyword", 0)]
    assert tok("LOAD_CONST @make_counter", "@make_counter") == [("function", 0)]
    assert tok("STORE_NAME make_counter", "make_counter") == [("property", 0)]
    assert tok("LOAD_CONST 10", "10") == [("number", 0)]
    assert tok(".filename 'closure.py'", "'closure.py'") == [("string", 0)]
    assert tok(".var start", "start") == [("variable", decl)]
    assert tok("LOAD_FAST start", "start") == [("variable", 0)]
    assert tok("8       PUSH_NULL", "8") == [("parameter", 0)]
    # Tokens come in document order and do not overlap.
    flat = [(l, c, n) for l, c, n, _, _ in toks]
    assert flat == sorted(flat)
    for (l1, c1, n1), (l2, c2, _) in zip(flat, flat[1:]):
        assert l1 < l2 or c1 + n1 <= c2


async def test_semantic_tokens_label(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "loop"), tmp_path / "loop.pyasm")
    legend = client.init_result.capabilities.semantic_tokens_provider.legend
    res = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc.ident)
    )
    toks = decode_tokens(list(res.data), list(legend.token_types))
    top = doc.pos("top:")
    jump = doc.pos("JUMP_BACKWARD top", delta=14)
    assert (top.line, top.character, 3, "enumMember", 1) in toks
    assert (jump.line, jump.character, 3, "enumMember", 0) in toks


def opcodes(text):
    """(line, column) of the opcode of each instruction line."""
    out = []
    for i, line in enumerate(text.split("\n")):
        m = re.match(r"^(\S*\s+)?([A-Z][A-Z_0-9]+)\b", line)
        if m and not line.lstrip().startswith(("#", ".")):
            out.append((i, m.start(2)))
    return out


async def inlay_hints(doc):
    r = await doc.client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=doc.ident, range=WHOLE)
    )
    assert r is not None
    return list(r)


async def test_inlay_hints_show_stack_depth(client, tmp_path):
    text = example("3.11", "hello")
    doc, _ = await open_and_wait(client, text, tmp_path / "hello.pyasm")
    hints = await inlay_hints(doc)
    got = [(h.position.line, h.position.character, h.label) for h in hints]
    # PRECALL 1 pops the argument (3.11), CALL 1 the callable and NULL and
    # pushes the result.
    depths = [0, 0, 1, 2, 3, 2, 1, 0, 1]
    assert got == [(l, c, f"[{d}]") for (l, c), d in zip(opcodes(text), depths, strict=True)]
    assert hints[3].tooltip == "stack depth before this instruction: 2"
    # A range selects the hints inside it.
    part = await doc.client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=doc.ident,
            range=types.Range(start=doc.pos("PRECALL"), end=doc.pos("POP_TOP")),
        )
    )
    assert [h.label for h in part] == ["[3]", "[2]", "[1]"]


async def test_inlay_hints_skip_unreachable_code(client, tmp_path):
    text = example("3.11", "hello").replace("RETURN_VALUE", "RETURN_VALUE\n        NOP")
    doc, diags = await open_and_wait(client, text, tmp_path / "hello.pyasm")
    assert [d.code for d in diags] == ["unreachable"]
    hints = await inlay_hints(doc)
    # No depth for code no path reaches (the analysis walks it from an
    # estimate, for the stack size, but no path has that depth).
    assert len(hints) == 9
    assert doc.pos("NOP").line not in [h.position.line for h in hints]
    assert "stack depth here: unknown (not reached)" in await hover(doc, doc.pos("NOP"))


async def test_inlay_hints_stay_before_a_misspelt_opcode(client, tmp_path):
    text = example("3.11", "hello").replace("POP_TOP", "POP_TOPP")
    doc, diags = await open_and_wait(client, text, tmp_path / "hello.pyasm")
    assert [d.code for d in diags] == ["unknown-opcode"]
    hints = await inlay_hints(doc)
    # The depths up to the misspelt line are known; after it, nothing is.
    lines = [h.position.line for h in hints]
    assert doc.pos("CALL").line in lines and doc.pos("POP_TOPP").line in lines
    assert doc.pos("RETURN_VALUE").line not in lines
    assert "unknown until the block's errors are fixed" in await hover(doc, doc.pos("RETURN_VALUE"))


@pytest.mark.lsp(init_options={"inlayHints": False})
async def test_inlay_hints_off_by_initialization_options(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "hello.pyasm")
    assert await inlay_hints(doc) == []


async def test_inlay_hints_off_and_on_by_configuration_change(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "hello.pyasm")
    assert len(await inlay_hints(doc)) == 9

    # Pushed with the notification.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"pyasm": {"inlayHints": False}})
    )
    await until(lambda: client.inlay_hint_refreshes >= 1, "an inlay hint refresh")
    assert await inlay_hints(doc) == []

    # Pulled: the notification carries nothing, the server asks for the
    # `pyasm` section.
    client.set_configuration({"pyasm": {"inlayHints": True}})
    asked = len(client.configuration_requests)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await until(lambda: client.inlay_hint_refreshes >= 2, "a second inlay hint refresh")
    assert len(client.configuration_requests) == asked + 1
    assert client.configuration_requests[-1].items[0].section == "pyasm"
    assert len(await inlay_hints(doc)) == 9


@pytest.mark.lsp(configuration={"pyasm": {"inlayHints": False}})
async def test_inlay_hints_off_by_pulled_configuration(client, tmp_path):
    """The server asks for its settings once initialized."""
    await until(lambda: client.inlay_hint_refreshes >= 1, "the refresh after the first pull")
    assert client.configuration_requests[0].items[0].section == "pyasm"
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "hello.pyasm")
    assert await inlay_hints(doc) == []
