"""Fixtures that start the real `pyasm lsp` binary and drive it over stdio
with pytest-lsp's LanguageClient.

The binary is the one in PYASM_BIN (tests/lsp.rs sets it to the binary
cargo built); without it, target/debug/pyasm of this checkout.

`client` is a session initialized as an editor would (UTF-16 positions,
the default); `client_utf8` offers UTF-8 through
`general.positionEncodings`. Either takes its initializationOptions, the
answers it gives to `workspace/configuration`, its position encoding and
its workspace (folders under the test's tmp_path, sent as workspaceFolders,
or one sent as the older rootUri) from a marker:

    @pytest.mark.lsp(init_options={"inlayHints": False},
                     configuration={"pyasm": {...}}, utf8=True,
                     folders=["ws"], root_uri="ws")
"""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from lsputil import pyasm_bin

PYASM = pyasm_bin()


def _publish_diagnostics(client: LanguageClient, params: types.PublishDiagnosticsParams):
    # Every publication, with its version (client.diagnostics keeps only the
    # latest list per URI, without the version).
    client.published.append(params)
    client.diagnostics[params.uri] = params.diagnostics


def _configuration(client: LanguageClient, params: types.ConfigurationParams):
    client.configuration_requests.append(params)
    return [
        client.get_configuration(section=item.section, scope_uri=item.scope_uri)
        for item in params.items
    ]


def _inlay_hint_refresh(client: LanguageClient, params: None):
    client.inlay_hint_refreshes += 1


def make_client() -> LanguageClient:
    client = LanguageClient()
    client.published = []
    client.configuration_requests = []
    client.inlay_hint_refreshes = 0
    client.init_result = None
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _publish_diagnostics
    features[types.WORKSPACE_CONFIGURATION] = _configuration
    features[types.WORKSPACE_INLAY_HINT_REFRESH] = _inlay_hint_refresh
    register_lsp_features(client, features)
    return client


def capabilities(utf8: bool = False) -> types.ClientCapabilities:
    """What a typical editor declares. With `utf8`, UTF-8 is offered first."""
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=[
                types.PositionEncodingKind.Utf8,
                types.PositionEncodingKind.Utf16,
            ]
        )
        if utf8
        else None,
        workspace=types.WorkspaceClientCapabilities(
            configuration=True,
            did_change_configuration=types.DidChangeConfigurationClientCapabilities(),
            inlay_hint=types.InlayHintWorkspaceClientCapabilities(refresh_support=True),
            execute_command=types.ExecuteCommandClientCapabilities(),
        ),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                related_information=True, version_support=True
            ),
            hover=types.HoverClientCapabilities(
                content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]
            ),
            completion=types.CompletionClientCapabilities(
                completion_item=types.ClientCompletionItemOptions(
                    documentation_format=[types.MarkupKind.Markdown]
                )
            ),
            definition=types.DefinitionClientCapabilities(),
            references=types.ReferenceClientCapabilities(),
            rename=types.RenameClientCapabilities(prepare_support=True),
            document_symbol=types.DocumentSymbolClientCapabilities(
                hierarchical_document_symbol_support=True
            ),
            folding_range=types.FoldingRangeClientCapabilities(),
            semantic_tokens=types.SemanticTokensClientCapabilities(
                requests=types.ClientSemanticTokensRequestOptions(full=True),
                token_types=[],
                token_modifiers=[],
                formats=[types.TokenFormat.Relative],
            ),
            inlay_hint=types.InlayHintClientCapabilities(),
            formatting=types.DocumentFormattingClientCapabilities(),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(
                        value_set=[types.CodeActionKind.QuickFix]
                    )
                )
            ),
        ),
        window=types.WindowClientCapabilities(
            show_message=types.ShowMessageRequestClientCapabilities()
        ),
    )


async def start_session(
    client: LanguageClient,
    request: pytest.FixtureRequest,
    utf8: bool = False,
) -> None:
    marker = request.node.get_closest_marker("lsp")
    opts = dict(marker.kwargs) if marker else {}
    utf8 = opts.get("utf8", utf8)
    if opts.get("configuration") is not None:
        client.set_configuration(opts["configuration"])
    caps = opts.get("capabilities") or capabilities(utf8)
    folders = root_uri = None
    if opts.get("folders") is not None or opts.get("root_uri") is not None:
        tmp = request.getfixturevalue("tmp_path")
        for name in opts.get("folders") or []:
            (tmp / name).mkdir(parents=True, exist_ok=True)
        folders = [
            types.WorkspaceFolder(uri=(tmp / name).as_uri(), name=name)
            for name in opts.get("folders") or []
        ] or None
        if opts.get("root_uri") is not None:
            (tmp / opts["root_uri"]).mkdir(parents=True, exist_ok=True)
            root_uri = (tmp / opts["root_uri"]).as_uri()
    client.init_result = await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            initialization_options=opts.get("init_options"),
            client_info=types.ClientInfo(name="pytest-lsp"),
            workspace_folders=folders,
            root_uri=root_uri,
        )
    )


CONFIG = ClientServerConfig(server_command=[PYASM, "lsp"], client_factory=make_client)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    """A session of `pyasm lsp`, UTF-16 positions unless the marker says."""
    await start_session(lsp_client, request)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def client_utf8(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    """A session whose client offers UTF-8 positions."""
    await start_session(lsp_client, request, utf8=True)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG, params=["utf-16", "utf-8"])
async def client_any(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    """Both: a UTF-16 session, then a UTF-8 one."""
    await start_session(lsp_client, request, utf8=request.param == "utf-8")
    yield
    await lsp_client.shutdown_session()
