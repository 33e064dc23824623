#!/usr/bin/env node
// Runs the compiled extension (out/extension.js) against test/mock-vscode.js
// and the real `pyasm lsp`: what a user sees when the binary is missing, and
// the two commands end to end. Used by tests/vscode.rs.
//
//   node test/smoke.js missing                     no pyasm: the PATH is emptied
//   node test/smoke.js commands BIN_DIR PYC GOOD BAD  BIN_DIR/pyasm runs the server
//
// Prints what the extension did, and exits non-zero when it was not right.
'use strict';

const Module = require('module');
const path = require('path');
const fs = require('fs');

const mockPath = path.join(__dirname, 'mock-vscode.js');
const load = Module._load;
Module._load = function (request, ...rest) {
  return load.call(this, request === 'vscode' ? mockPath : request, ...rest);
};
const vscode = require(mockPath);
const { log, answers, config, commands, documents } = vscode.__mock;

const root = path.join(__dirname, '..');
const extension = require(path.join(root, 'out', 'extension.js'));
const context = { subscriptions: [], extensionUri: vscode.Uri.file(root) };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failed = false;
function check(ok, what) {
  console.log(`${ok ? 'ok' : 'FAILED'}: ${what}`);
  failed ||= !ok;
}
const entries = (kind) => log.filter((e) => e[0] === kind);
/** Waits up to 5 s for `pred` to hold (messages from the server arrive as
 *  notifications, maybe after the response to the command). */
async function until(pred) {
  for (let i = 0; i < 50 && !pred(); i++) {
    await sleep(100);
  }
  return pred();
}

async function missing() {
  process.env.PATH = path.join(root, 'no-such-directory');
  answers.push('Install instructions');
  extension.activate(context);
  await sleep(200);
  const errors = entries('error');
  check(errors.length === 1, 'one error message');
  const [, text, ...buttons] = errors[0] ?? [];
  check(/not found/.test(text) && /cargo install --path \./.test(text), `it says what to do: ${text}`);
  check(
    buttons.includes('Install instructions') && buttons.includes('Set pyasm.server.path'),
    `buttons: ${buttons.join(', ')}`,
  );
  const preview = entries('executeCommand').find((e) => e[1] === 'markdown.showPreview');
  check(
    preview !== undefined && fs.existsSync(vscode.Uri.parse(preview[2]).fsPath),
    `"Install instructions" opens the README: ${preview && preview[2]}`,
  );
  for (const id of ['pyasm.buildPyc', 'pyasm.disassemblePyc', 'pyasm.restartServer']) {
    check(commands.has(id), `command ${id} is registered`);
  }
  // "Set pyasm.server.path" shows the setting: in a remote window on the
  // Remote tab, since the User tab hides machine-overridable settings there.
  for (const [remoteName, expected] of [
    [undefined, ['workbench.action.openSettings', '@id:pyasm.server.path']],
    ['ssh-remote', ['workbench.action.openRemoteSettings', '{"query":"@id:pyasm.server.path"}']],
  ]) {
    vscode.env.remoteName = remoteName;
    answers.push('Set pyasm.server.path');
    const before = entries('executeCommand').length;
    await commands.get('pyasm.restartServer')();
    await sleep(200);
    const opened = entries('executeCommand').slice(before).find((e) => /Settings$/.test(e[1]));
    check(
      JSON.stringify(opened?.slice(1)) === JSON.stringify(expected),
      `"Set pyasm.server.path" in a ${remoteName ?? 'local'} window runs ${expected.join(' ')}: ${opened}`,
    );
  }
}

async function withServer(binDir, pyc, good, bad) {
  process.env.PATH = binDir + path.delimiter + (process.env.PATH ?? '');
  Object.assign(config, {
    defaultVersion: '3.12',
    outputDir: 'out-pyc',
    inlayHints: false,
    severities: { unreachable: 'off' },
  });
  extension.activate(context);
  for (let i = 0; i < 100 && !commands.has('pyasm.build'); i++) {
    await sleep(100);
  }
  check(commands.has('pyasm.build'), 'the client started the server (its commands are registered)');

  // The disassembly is named after the .pyc (its tab shows the name), at a
  // path no file has: Save would write there without asking.
  const stem = path.join(path.dirname(pyc), path.basename(pyc, '.pyc'));
  for (const [taken, expected] of [[null, `${stem}.pyasm`], [`${stem}.pyasm`, `${stem}-2.pyasm`]]) {
    if (taken) {
      fs.writeFileSync(taken, '# taken\n');
    }
    const before = documents.length;
    await commands.get('pyasm.disassemblePyc')(vscode.Uri.file(pyc));
    const doc = documents[before];
    check(
      doc !== undefined && doc.uri.scheme === 'untitled' && doc.uri.path === expected,
      `Disassemble .pyc opens an untitled document ${expected}: ${doc && doc.uri.toString()}`,
    );
    check(
      doc !== undefined && doc.languageId === 'pyasm' && /^\.code /m.test(doc.getText()),
      'holding the disassembly, as pyasm',
    );
  }
  check(entries('showTextDocument').length === 2, 'and shows it');

  await commands.get('pyasm.buildPyc')(vscode.Uri.file(good));
  const built = path.join(path.dirname(good), 'out-pyc', path.basename(good, '.pyasm') + '.pyc');
  check(fs.existsSync(built), `Build .pyc writes ${built} (pyasm.outputDir reached the server)`);
  check(
    await until(() => entries('info').some((e) => e[1].includes('built'))),
    'the server says where it wrote',
  );

  const before = entries('error').length;
  await commands.get('pyasm.buildPyc')(vscode.Uri.file(bad));
  await until(() => entries('error').length > before);
  await sleep(300); // a second message would come now
  const errors = entries('error').slice(before);
  check(
    errors.length === 1 && /not built/.test(errors[0][1]) && /Python 3\.12/.test(errors[0][1]),
    `a failed build is reported once, in the default version of the settings: ${errors.map((e) => e[1]).join(' | ')}`,
  );
}

/** Deactivates the extension as VS Code does: the subscriptions are disposed
 *  right after deactivate() is called, before its promise settles. The
 *  output channel has to outlive the client's stop, which writes to it. */
async function shutDown() {
  const done = extension.deactivate();
  for (const d of context.subscriptions) {
    d.dispose();
  }
  check(entries('output disposed').length === 0, 'the output channel is open while the client stops');
  await done;
  check(entries('output disposed').length === 1, 'deactivate() disposes the output channel');
  check(entries('closed channel written').length === 0, 'nothing was written to a closed channel');
}

(async () => {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'missing') {
    await missing();
  } else if (mode === 'commands') {
    await withServer(...args);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  await shutDown();
  for (const e of log) {
    console.log('  ' + JSON.stringify(e).slice(0, 200));
  }
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
