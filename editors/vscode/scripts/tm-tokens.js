#!/usr/bin/env node
// Tokenizes files with the extension's TextMate grammar, as VS Code would
// (vscode-textmate with the Oniguruma regex engine), and prints their tokens
// as JSON for tests/highlight_consistency.rs:
//
//   { "FILE": [ [ { "start": BYTE, "end": BYTE, "scopes": [SCOPE, ...] }, ... ], ... ] }
//
// one array per line; `start` and `end` are UTF-8 byte offsets in the line.
//
// Usage: node scripts/tm-tokens.js FILE...
'use strict';

const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const GRAMMAR = path.join(__dirname, '..', 'syntaxes', 'pyasm.tmLanguage.json');

async function main(files) {
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve('vscode-oniguruma')), 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === 'source.pyasm' ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null,
  });
  const grammar = await registry.loadGrammar('source.pyasm');
  if (!grammar) {
    throw new Error(`cannot load ${GRAMMAR}`);
  }
  const out = {};
  for (const file of files) {
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    let stack = vsctm.INITIAL;
    out[file] = lines.map((line) => {
      const r = grammar.tokenizeLine(line, stack);
      stack = r.ruleStack;
      const bytes = (i) => Buffer.byteLength(line.slice(0, i), 'utf8');
      return r.tokens.map((t) => ({
        start: bytes(t.startIndex),
        end: bytes(Math.min(t.endIndex, line.length)),
        scopes: t.scopes,
      }));
    });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
