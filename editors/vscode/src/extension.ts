// The pyasm extension: starts `pyasm lsp` for .pyasm files and adds two
// commands on top of the server's, "pyasm: Build .pyc" and "pyasm:
// Disassemble .pyc". Highlighting before the server answers comes from the
// TextMate grammar in syntaxes/; the server's semantic tokens refine it.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
} from 'vscode-languageclient/node';

/** The commands the server executes (`workspace/executeCommand`). */
const SERVER_BUILD = 'pyasm.build';
const SERVER_DISASSEMBLE = 'pyasm.disassemble';

let client: LanguageClient | undefined;
let starting: Promise<LanguageClient | undefined> | undefined;
let output: vscode.OutputChannel;
/** This extension's README, which says how to install pyasm. */
let readme: vscode.Uri;

/** A channel whose writes after dispose() are dropped. The client reports
 *  the server's exit ("Server process exited with code 0") from a process
 *  event that can come after deactivate() has returned, and a write to a
 *  disposed channel throws "Channel has been closed". */
function closingChannel(inner: vscode.OutputChannel): vscode.OutputChannel {
  let open = true;
  return new Proxy(inner, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') {
        return value;
      }
      if (key === 'dispose') {
        return () => {
          if (open) {
            open = false;
            target.dispose();
          }
        };
      }
      return (...args: unknown[]) => (open ? (value as (...a: unknown[]) => unknown).apply(target, args) : undefined);
    },
  });
}

export function activate(context: vscode.ExtensionContext): void {
  output = closingChannel(vscode.window.createOutputChannel('pyasm'));
  // vsce packages README.md as readme.md.
  const readmeName = ['README.md', 'readme.md'].find((n) =>
    fs.existsSync(path.join(context.extensionUri.fsPath, n)),
  );
  readme = vscode.Uri.joinPath(context.extensionUri, readmeName ?? 'README.md');
  // The channel is disposed by deactivate(), after the client has stopped:
  // VS Code disposes the subscriptions as soon as it has called deactivate(),
  // without waiting for it, and a client still stopping would write to a
  // closed channel ("Channel has been closed").
  context.subscriptions.push(
    vscode.commands.registerCommand('pyasm.buildPyc', (uri?: vscode.Uri) => buildPyc(uri)),
    vscode.commands.registerCommand('pyasm.disassemblePyc', (uri?: vscode.Uri) =>
      disassemblePyc(uri),
    ),
    vscode.commands.registerCommand('pyasm.restartServer', () => restart()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('pyasm.server.path')) {
        void restart();
      }
    }),
  );
  void ensureClient();
}

export async function deactivate(): Promise<void> {
  // A client still starting is stopped once it has started.
  const pending = starting;
  client = undefined;
  starting = undefined;
  try {
    const c = await pending;
    if (c) {
      await c.stop();
    }
  } finally {
    output.dispose();
  }
}

/** The settings the server reads (see src/lsp/settings.rs). */
function serverSettings(): Record<string, unknown> {
  const cfg = vscode.workspace.getConfiguration('pyasm');
  return {
    defaultVersion: cfg.get<string>('defaultVersion', '3.11'),
    outputDir: cfg.get<string>('outputDir', ''),
    inlayHints: cfg.get<boolean>('inlayHints', true),
    maxDiagnostics: cfg.get<number>('maxDiagnostics', 1000),
    severities: cfg.get<Record<string, string>>('severities', {}),
  };
}

function expand(p: string): string {
  let s = p.trim();
  if (s === '~' || s.startsWith('~/') || s.startsWith('~\\')) {
    s = path.join(os.homedir(), s.slice(1));
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (folder) {
    s = s.replace(/\$\{workspaceFolder\}/g, folder);
    if (!path.isAbsolute(s) && (s.includes('/') || s.includes('\\'))) {
      s = path.join(folder, s);
    }
  }
  return s;
}

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      fs.accessSync(p, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/** `name` on the PATH, as the shell would find it. */
function onPath(name: string): string | undefined {
  const exts =
    process.platform === 'win32'
      ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').concat([''])
      : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext.toLowerCase());
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** The `pyasm` binary to run, or why there is none. */
function findServer(): { path: string } | { error: string } {
  const configured = vscode.workspace.getConfiguration('pyasm').get<string>('server.path', '');
  if (configured.trim() !== '') {
    const p = expand(configured);
    return isExecutable(p)
      ? { path: p }
      : { error: `The pyasm language server was not found at ${p} (the setting pyasm.server.path).` };
  }
  const found = onPath('pyasm');
  return found
    ? { path: found }
    : {
        error:
          'The pyasm language server was not found: `pyasm` is not on the PATH. ' +
          'Install it with `cargo install --path .` in a clone of pyasm, ' +
          'or set pyasm.server.path to the binary.',
      };
}

async function explainMissing(message: string): Promise<void> {
  const install = 'Install instructions';
  const setPath = 'Set pyasm.server.path';
  const choice = await vscode.window.showErrorMessage(message, install, setPath);
  if (choice === install) {
    await vscode.commands.executeCommand('markdown.showPreview', readme);
  } else if (choice === setPath) {
    // The setting is machine-overridable: a path on the machine that runs
    // the server. In a remote window (code-server, SSH, WSL, containers) the
    // settings editor's User tab hides such settings, since the local user
    // settings do not apply there, and searching it finds nothing; the
    // Remote tab has it.
    const query = '@id:pyasm.server.path';
    if (vscode.env.remoteName) {
      await vscode.commands.executeCommand('workbench.action.openRemoteSettings', { query });
    } else {
      await vscode.commands.executeCommand('workbench.action.openSettings', query);
    }
  }
}

function ensureClient(): Promise<LanguageClient | undefined> {
  if (!starting) {
    starting = start();
  }
  return starting;
}

async function start(): Promise<LanguageClient | undefined> {
  const server = findServer();
  if ('error' in server) {
    output.appendLine(server.error);
    void explainMissing(server.error);
    return undefined;
  }
  output.appendLine(`starting ${server.path} lsp`);
  const run: Executable = { command: server.path, args: ['lsp'] };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'pyasm' },
      { scheme: 'untitled', language: 'pyasm' },
    ],
    initializationOptions: serverSettings(),
    synchronize: { configurationSection: 'pyasm' },
    outputChannel: output,
  };
  const c = new LanguageClient('pyasm', 'pyasm language server', serverOptions, clientOptions);
  try {
    await c.start();
  } catch (e) {
    const message = `The pyasm language server (${server.path} lsp) did not start: ${String(e)}`;
    output.appendLine(message);
    void explainMissing(message);
    return undefined;
  }
  client = c;
  return c;
}

async function restart(): Promise<void> {
  const old = client;
  client = undefined;
  starting = undefined;
  if (old) {
    await old.stop().catch(() => undefined);
  }
  await ensureClient();
}

async function serverCommand(command: string, arg: string): Promise<unknown> {
  const c = await starting;
  if (!c) {
    throw new Error('the pyasm language server is not running');
  }
  return c.sendRequest(ExecuteCommandRequest.type, { command, arguments: [arg] });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** "pyasm: Build .pyc": the server assembles the document (as open in the
 *  editor, saved or not) and reports where it wrote the .pyc. */
async function buildPyc(uri?: vscode.Uri): Promise<void> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target?.toString());
  if (!target || (doc && doc.languageId !== 'pyasm') || (!doc && !target.path.endsWith('.pyasm'))) {
    void vscode.window.showErrorMessage('pyasm: Build .pyc needs a .pyasm file.');
    return;
  }
  if (target.scheme !== 'file') {
    void vscode.window.showErrorMessage('pyasm: save the file first; only files on disk can be built.');
    return;
  }
  try {
    // The server shows the outcome itself (built PATH, or the first error).
    const result = (await serverCommand(SERVER_BUILD, target.toString())) as { path?: string } | null;
    if (result?.path) {
      output.appendLine(`built ${result.path}`);
    }
  } catch (e) {
    output.appendLine(`build of ${target.fsPath} failed: ${errorText(e)}`);
    // A refusal from the server was already shown by the server.
    if (!(e instanceof ResponseError)) {
      void vscode.window.showErrorMessage(`pyasm: not built: ${errorText(e)}`);
    }
  }
}

/** Where the disassembly of `pyc` opens: an untitled document named after
 *  it (`foo.pyc` gives `foo.pyasm`), so that its tab says what it shows; an
 *  untitled document without a name is titled by its first line, `.python
 *  3.11`. Its path, beside the .pyc, is one that no file or open document has,
 *  since Save writes an untitled document with a path there without asking. */
function disassemblyUri(pyc: vscode.Uri): vscode.Uri {
  const dir = path.dirname(pyc.fsPath);
  const stem = path.basename(pyc.fsPath).replace(/\.pyc$/i, '');
  const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
  for (let n = 1; ; n++) {
    const file = vscode.Uri.file(path.join(dir, n === 1 ? `${stem}.pyasm` : `${stem}-${n}.pyasm`));
    const untitled = file.with({ scheme: 'untitled' });
    if (!fs.existsSync(file.fsPath) && !open.has(untitled.toString())) {
      return untitled;
    }
  }
}

/** "pyasm: Disassemble .pyc": the server disassembles a .pyc (the one given,
 *  or one picked) and the text opens as an untitled pyasm document. */
async function disassemblePyc(uri?: vscode.Uri): Promise<void> {
  let target = uri;
  if (!target) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Disassemble',
      filters: { 'Python bytecode': ['pyc'], 'All files': ['*'] },
    });
    target = picked?.[0];
  }
  if (!target) {
    return;
  }
  if (target.scheme !== 'file') {
    void vscode.window.showErrorMessage(`pyasm: ${target.toString()} is not a local file.`);
    return;
  }
  try {
    const text = await serverCommand(SERVER_DISASSEMBLE, target.fsPath);
    if (typeof text !== 'string') {
      throw new Error('the server returned no text');
    }
    const doc = await vscode.workspace.openTextDocument(disassemblyUri(target));
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), text));
  } catch (e) {
    void vscode.window.showErrorMessage(`pyasm: cannot disassemble ${target.fsPath}: ${errorText(e)}`);
  }
}
