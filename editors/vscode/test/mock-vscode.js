// A stand-in for the `vscode` module, enough for the extension and
// vscode-languageclient to activate, start the server and run commands
// outside VS Code (which cannot be downloaded here). What the extension
// shows and asks is recorded in `log`; `answers` picks the button clicked
// on a message. Unknown members are harmless no-ops.
'use strict';

const path = require('path');

const log = [];
const answers = [];
const config = {};

class Disposable {
  constructor(f) {
    this.f = f;
  }
  dispose() {
    if (this.f) this.f();
  }
  static from(...ds) {
    return new Disposable(() => ds.forEach((d) => d && d.dispose && d.dispose()));
  }
}
const disposable = () => new Disposable();

class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (l) => {
      this.listeners.push(l);
      return disposable();
    };
  }
  fire(e) {
    this.listeners.forEach((l) => l(e));
  }
  dispose() {}
}

class Uri {
  constructor(scheme, p) {
    this.scheme = scheme;
    this.authority = '';
    this.path = p;
    this.fsPath = p;
    this.query = '';
    this.fragment = '';
  }
  static file(p) {
    return new Uri('file', path.resolve(p));
  }
  static parse(s) {
    const m = /^([a-z][a-z0-9+.-]*):(?:\/\/)?(.*)$/i.exec(s);
    return m ? new Uri(m[1], decodeURIComponent(m[2])) : new Uri('file', s);
  }
  static joinPath(u, ...parts) {
    return new Uri(u.scheme, path.join(u.path, ...parts));
  }
  with(change) {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path);
  }
  toString() {
    return `${this.scheme}://${encodeURI(this.path)}`;
  }
  toJSON() {
    return this.toString();
  }
}

class CancellationTokenSource {
  constructor() {
    this.token = { isCancellationRequested: false, onCancellationRequested: () => disposable() };
  }
  cancel() {}
  dispose() {}
}

const commands = new Map();
/** The documents opened through `workspace.openTextDocument`. */
const documents = [];

// Any `onX`, `registerX` or `createX` member that is not defined below is a
// function returning a disposable.
const noop = new Proxy(function () {}, {
  get: (t, k) => (k === 'then' ? undefined : noop),
  apply: () => disposable(),
});
const permissive = (o) =>
  new Proxy(o, {
    get: (t, k) =>
      k in t ? t[k] : typeof k === 'string' && /^(on|register|create)/.test(k) ? noop : undefined,
  });
// Classes and enums the client refers to but never needs here.
const classes = {};
const someClass = (name) =>
  (classes[name] ??= new Proxy(class {}, {
    get: (c, k) => (k in c ? c[k] : typeof k === 'string' && /^[A-Z]/.test(k) ? k : undefined),
  }));

const api = {
  version: '1.82.0',
  Uri,
  Position: class {
    constructor(line, character) {
      Object.assign(this, { line, character });
    }
  },
  Disposable,
  EventEmitter,
  CancellationTokenSource,
  CancellationError: class extends Error {},
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  env: permissive({
    appName: 'mock',
    language: 'en',
    openExternal: async (u) => {
      log.push(['openExternal', String(u)]);
      return true;
    },
  }),
  commands: permissive({
    registerCommand(id, f) {
      if (commands.has(id)) {
        throw new Error(`command '${id}' already exists`);
      }
      commands.set(id, f);
      return new Disposable(() => commands.delete(id));
    },
    async executeCommand(id, ...args) {
      const text = (a) => (a !== null && typeof a === 'object' && a.toString === Object.prototype.toString ? JSON.stringify(a) : String(a));
      log.push(['executeCommand', id, ...args.map(text)]);
      return commands.has(id) ? commands.get(id)(...args) : undefined;
    },
  }),
  window: permissive({
    // Like VS Code's, a channel refuses writes once disposed.
    createOutputChannel: (name) => {
      let closed = false;
      const write = (s) => {
        if (closed) {
          log.push(['closed channel written', s]);
          throw new Error('Channel has been closed');
        }
        log.push(['output', s]);
      };
      return permissive({
        name,
        appendLine: write,
        append: write,
        show() {},
        clear() {},
        replace() {},
        dispose() {
          closed = true;
          log.push(['output disposed']);
        },
      });
    },
    async showErrorMessage(m, ...items) {
      log.push(['error', m, ...items]);
      return answers.shift();
    },
    async showWarningMessage(m, ...items) {
      log.push(['warning', m, ...items]);
      return answers.shift();
    },
    async showInformationMessage(m, ...items) {
      log.push(['info', m, ...items]);
      return answers.shift();
    },
    async showTextDocument(doc) {
      log.push(['showTextDocument', doc.languageId]);
      return {
        document: doc,
        async edit(f) {
          f({ insert: (_, text) => (doc.text += text), replace: (_, text) => (doc.text = text) });
          return true;
        },
      };
    },
    showOpenDialog: async () => undefined,
    activeTextEditor: undefined,
    visibleTextEditors: [],
    tabGroups: permissive({ all: [] }),
    withProgress: async (_, f) => f({ report() {} }, new CancellationTokenSource().token),
  }),
  workspace: permissive({
    textDocuments: [],
    notebookDocuments: [],
    workspaceFolders: undefined,
    getConfiguration: (section) =>
      permissive({
        get: (key, dflt) => {
          const v = section === 'pyasm' ? config[key] : section ? undefined : { pyasm: config }[key];
          return v === undefined ? dflt : v;
        },
        has: (key) => section === 'pyasm' && key in config,
        inspect: () => undefined,
        update: async () => {},
      }),
    // By URI (an untitled one starts empty) or by language and content.
    async openTextDocument(arg) {
      const doc =
        arg instanceof Uri
          ? { uri: arg, languageId: path.extname(arg.path) === '.pyasm' ? 'pyasm' : 'plaintext', text: '' }
          : { uri: new Uri('untitled', 'Untitled-1'), languageId: arg.language, text: arg.content };
      doc.getText = () => doc.text;
      documents.push(doc);
      log.push(['openTextDocument', doc.uri.toString(), doc.languageId]);
      return doc;
    },
  }),
  languages: permissive({ match: () => 0 }),
};

module.exports = new Proxy(api, {
  get: (t, k) => (k in t ? t[k] : typeof k === 'string' && /^[A-Z]/.test(k) ? someClass(k) : undefined),
});
module.exports.__mock = { log, answers, config, commands, documents };
