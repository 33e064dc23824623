"""Settings from initializationOptions, workspace/didChangeConfiguration
(pushed) and workspace/configuration (pulled): defaultVersion and
severities; and that the server only asks what the client supports."""

from __future__ import annotations

import pytest
from lsprotocol import types

from lsputil import by_code, example, open_and_wait, publications, until

# The 3.13 example without its `.python` line: RETURN_CONST is 3.12-3.13,
# and the 3.13 call sequence (NULL above the callable) is wrong for 3.11.
NO_VERSION = example("3.13", "hello").replace(".python 3.13\n", "")
assert ".python" not in NO_VERSION.replace("python3.13", "")

UNKNOWN_GLOBAL = example("3.11", "hello").replace("LOAD_NAME print", "LOAD_NAME prnt")


async def test_file_without_python_line_is_311_by_default(client, tmp_path):
    doc, diags = await open_and_wait(client, NO_VERSION, tmp_path / "h.pyasm")
    (d,) = by_code(diags, "unknown-opcode")
    assert "`RETURN_CONST` is not an instruction in Python 3.11" in d.message


@pytest.mark.lsp(init_options={"defaultVersion": "3.13"})
async def test_default_version_from_initialization_options(client, tmp_path):
    doc, diags = await open_and_wait(client, NO_VERSION, tmp_path / "h.pyasm")
    assert diags == []
    # The hover says which version the file is read as.
    h = await client.text_document_hover_async(
        types.HoverParams(text_document=doc.ident, position=doc.pos("RETURN_CONST"))
    )
    assert "in Python 3.13" in h.contents.value
    # A `.python` line still wins.
    doc2, diags = await open_and_wait(client, example("3.11", "hello"), tmp_path / "h311.pyasm")
    assert diags == []


async def test_default_version_changed_reanalyses_open_documents(client, tmp_path):
    doc, diags = await open_and_wait(client, NO_VERSION, tmp_path / "h.pyasm")
    assert by_code(diags, "unknown-opcode")
    before = len(publications(client, doc.uri))
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"pyasm": {"defaultVersion": "3.13"}})
    )
    # Republished for the same version of the document, now clean.
    p = await until(
        lambda: len(publications(client, doc.uri)) > before and publications(client, doc.uri)[-1],
        "diagnostics after the configuration change",
    )
    assert p.version == doc.version
    assert list(p.diagnostics) == []

    # Back to 3.11 through the pulled configuration.
    client.set_configuration({"pyasm": {"defaultVersion": "3.11"}})
    before = len(publications(client, doc.uri))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    p = await until(
        lambda: len(publications(client, doc.uri)) > before and publications(client, doc.uri)[-1],
        "diagnostics after the pulled configuration",
    )
    assert by_code(p.diagnostics, "unknown-opcode")


@pytest.mark.lsp(init_options={"defaultVersion": "2.7"})
async def test_unsupported_default_version_is_ignored(client, tmp_path):
    doc, diags = await open_and_wait(client, NO_VERSION, tmp_path / "h.pyasm")
    (d,) = by_code(diags, "unknown-opcode")
    assert "Python 3.11" in d.message


async def test_unknown_global_is_a_warning_by_default(client, tmp_path):
    doc, diags = await open_and_wait(client, UNKNOWN_GLOBAL, tmp_path / "h.pyasm")
    (d,) = diags
    assert d.code == "unknown-global"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert doc.range_text(d.range) == "prnt"


@pytest.mark.lsp(init_options={"severities": {"unknown-global": "off"}})
async def test_severity_off_hides_it(client, tmp_path):
    doc, diags = await open_and_wait(client, UNKNOWN_GLOBAL, tmp_path / "h.pyasm")
    assert diags == []
    # Only that code: an error is still reported.
    doc.replace("PRECALL 1", "PRECAL 1")
    assert [d.code for d in await doc.diagnostics()] == ["unknown-opcode"]


@pytest.mark.lsp(init_options={"severities": {"unknown-global": "hint", "unknown-opcode": "warning"}})
async def test_severity_changed(client, tmp_path):
    doc, diags = await open_and_wait(client, UNKNOWN_GLOBAL, tmp_path / "h.pyasm")
    (d,) = diags
    assert d.severity == types.DiagnosticSeverity.Hint
    doc.replace("PRECALL 1", "PRECAL 1")
    got = {d.code: d.severity for d in await doc.diagnostics()}
    assert got == {
        "unknown-global": types.DiagnosticSeverity.Hint,
        "unknown-opcode": types.DiagnosticSeverity.Warning,
    }


async def test_severity_by_configuration_change(client, tmp_path):
    doc, diags = await open_and_wait(client, UNKNOWN_GLOBAL, tmp_path / "h.pyasm")
    assert len(diags) == 1
    n = len(publications(client, doc.uri))
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"pyasm": {"severities": {"unknown-global": "information"}}}
        )
    )
    p = await until(
        lambda: len(publications(client, doc.uri)) > n and publications(client, doc.uri)[-1],
        "republished diagnostics",
    )
    assert [d.severity for d in p.diagnostics] == [types.DiagnosticSeverity.Information]
    # Later changes keep the other settings: the severity stays.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"pyasm": {"inlayHints": False}})
    )
    await until(lambda: client.inlay_hint_refreshes >= 2, "the second change")
    doc.replace("prnt", "prnf")
    assert [d.severity for d in await doc.diagnostics()] == [types.DiagnosticSeverity.Information]


@pytest.mark.lsp(
    capabilities=types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf16]
        )
    ),
    init_options={"severities": {"unknown-global": "off"}},
)
async def test_no_requests_the_client_did_not_declare(client, tmp_path):
    """A client without `workspace.configuration` or inlay hint refresh
    support is sent neither request (pytest-lsp would flag it as an
    LspSpecificationWarning); pushed settings still apply."""
    doc, diags = await open_and_wait(client, UNKNOWN_GLOBAL, tmp_path / "h.pyasm")
    assert diags == []
    n = len(publications(client, doc.uri))
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"pyasm": {"severities": {"unknown-global": "error"}}}
        )
    )
    p = await until(
        lambda: len(publications(client, doc.uri)) > n and publications(client, doc.uri)[-1],
        "republished diagnostics",
    )
    assert [d.severity for d in p.diagnostics] == [types.DiagnosticSeverity.Error]
    # An empty notification would mean "ask me": not for this client.
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await client.text_document_hover_async(
        types.HoverParams(text_document=doc.ident, position=doc.pos("RESUME"))
    )
    assert client.configuration_requests == []
    assert client.inlay_hint_refreshes == 0
