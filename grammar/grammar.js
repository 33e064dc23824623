/**
 * Tree-sitter grammar for pyasm, a line-oriented text format for CPython
 * bytecode.
 *
 * Every line is empty, a directive (`.code f`), a label (`loop:`) or an
 * instruction (`1:0-5 LOAD_CONST 'x'`). Newlines are tokens, so a broken line
 * cannot swallow the lines after it. There is no node for a code block: a
 * block is simply the run of lines between two `.code` directives.
 *
 * This file must stay free of `require` so that `tree-sitter generate` works
 * without `npm install`.
 */

// A list of values separated by commas, with an optional trailing comma. The
// commas stay in the tree as anonymous children, which is how `(1)` and `(1,)`
// are told apart.
function commaList(item) {
  return optional(seq(item, repeat(seq(',', item)), optional(',')));
}

// One to `n` of `item` in a row, as nested optionals so that each count has
// exactly one way to be read.
function upTo(n, item) {
  return n === 1 ? item : seq(item, optional(upTo(n - 1, item)));
}

// A run of values where commas between them are optional: `UNPACK_EX 1, 2`
// and `UNPACK_EX 1 2` mean the same.
function looseList(item) {
  return optional(seq(item, repeat(seq(optional(','), item))));
}

const OPERATORS = [
  '->',
  '**=', '//=', '<<=', '>>=',
  '<=', '==', '!=', '>=', '//', '**', '<<', '>>',
  '+=', '-=', '*=', '/=', '%=', '@=', '&=', '|=', '^=',
  '<', '>', '+', '-', '*', '/', '%', '@', '&', '|', '^', '~',
];

const DIGITS = /[0-9][0-9_]*/.source;
const EXPONENT = `[eE][+-]?${DIGITS}`;

module.exports = grammar({
  name: 'pyasm',

  // Blanks between tokens. A carriage return counts as one, which covers the
  // `\r` of a CRLF line end (and makes a lone `\r` plain whitespace).
  extras: $ => [/[ \t\f\r]/, $.comment],

  word: $ => $.identifier,

  // Inlined, `_value` leaves no hidden node of its own around each operand
  // (it carries a field, so tree-sitter kept one): one heap node fewer per
  // instruction with operands.
  inline: $ => [$._value],

  rules: {
    // Lines up to the first `.code` line, then one hidden `_block` per code
    // block. The blocks change nothing in the tree the API shows, but they
    // let an incremental reparse reuse every block an edit did not touch:
    // tree-sitter never reuses the nodes of a long flat repetition, so with
    // lines alone each reparse rebuilt the whole file. The lines before the
    // first block are grouped as a block's are, for the same reason: a
    // flat run of them was reparsed whole at every edit (2 million empty
    // lines took a second).
    source_file: $ => seq(
      optional($._item),
      repeat($._chunks),
      repeat($._block),
    ),

    _block: $ => seq(
      alias($._code_directive, $.directive),
      repeat($._chunks),
    ),

    // Up to eight lines under one hidden node. Tree-sitter holds a
    // repetition as a balanced tree with a node per element and as many
    // joining nodes again; with a line per element that was two of the
    // four heap nodes every line cost. Grouped, they are a quarter of one.
    // A group takes all the lines it can (`prec.right` prefers reading on
    // to closing it), so each text has one grouping.
    _lines: $ => prec.right(upTo(8, seq($._newline, optional($._item)))),

    // Up to eight groups of lines under one more hidden node, so that the
    // repetition's joining nodes come one per 64 lines rather than one per
    // eight: 0.7 MiB of the 24 MiB tree of a 100,000-line file. (Sixteen
    // lines to a group instead makes `tree-sitter generate` run for
    // minutes; a group of groups does not.)
    _chunk: $ => prec.right(upTo(8, $._lines)),

    // Groups of those again, twice, up to 4,096 lines under one node: a
    // reparse rebuilds the repetition that holds a run of lines element by
    // element (it reuses each element whole), so its work is the number
    // of elements, here one per 4,096 lines.
    _chunk2: $ => prec.right(upTo(8, $._chunk)),
    _chunks: $ => prec.right(upTo(8, $._chunk2)),

    // The `.code` line, a token of its own so that the parser knows where
    // a block starts.
    _code_directive: $ => seq(
      field('name', alias('.code', $.directive_name)),
      looseList(field('argument', $._value)),
    ),

    _item: $ => choice($.directive, $.label, $.instruction),

    _newline: _ => /\r?\n/,

    directive: $ => seq(
      field('name', $.directive_name),
      looseList(field('argument', $._value)),
    ),

    directive_name: _ => /\.[A-Za-z_][A-Za-z0-9_]*/,

    label: $ => seq(field('name', $.identifier), ':'),

    instruction: $ => seq(
      optional(field('position', $.position)),
      field('opcode', $.identifier),
      looseList(field('operand', $._value)),
    ),

    _value: $ => choice(
      $.integer,
      $.float,
      $.string,
      $.identifier,
      $.code_ref,
      $.index,
      $.operator,
      $.ellipsis,
      $.tuple,
      $.list,
      $.set,
      $.call,
    ),

    integer: _ => /[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)/,

    float: _ => token(seq(
      optional(/[+-]/),
      choice(
        new RegExp(`${DIGITS}\\.([0-9][0-9_]*)?(${EXPONENT})?`),
        new RegExp(`\\.${DIGITS}(${EXPONENT})?`),
        new RegExp(`${DIGITS}${EXPONENT}`),
      ),
    )),

    // Escapes are only delimited here; lowering decodes them.
    string: _ => token(seq(
      optional(/[bB]/),
      choice(
        /'([^'\\\r\n]|\\[^\r\n])*'/,
        /"([^"\\\r\n]|\\[^\r\n])*"/,
      ),
    )),

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    code_ref: _ => /@[A-Za-z_][A-Za-z0-9_]*/,

    index: _ => /#[0-9]+/,

    operator: _ => choice(...OPERATORS),

    ellipsis: _ => '...',

    tuple: $ => seq('(', commaList($._value), ')'),

    list: $ => seq('[', commaList($._value), ']'),

    set: $ => seq('{', commaList($._value), '}'),

    // The `(` must touch the name: `frozenset({1})` is a call, while
    // `x (1,)` is an identifier followed by a tuple.
    call: $ => seq(
      field('function', $.identifier),
      token.immediate('('),
      commaList(field('argument', $._value)),
      ')',
    ),

    // `-` (no location), `L`, `L-L2`, `L:C-E` or `L:C-L2:E`; a column may be
    // `?` when it is unknown. Only valid at the start of an instruction, so a
    // leading `12` is a position while `12` after the opcode is an integer.
    // A `#` before the digits is read with them (and refused by lowering):
    // `#` and a digit are no comment, and a line commented out as
    // `#12:0-5 NOP` would otherwise read as a bare `#` comment and then a
    // position, the instruction silently kept.
    position: _ => token(choice(
      '-',
      /#?[0-9]+(-[0-9]+)?/,
      /#?[0-9]+:([0-9]+|\?)-([0-9]+:)?([0-9]+|\?)/,
    )),

    // `#` followed by a digit is an index operand, never a comment.
    comment: _ => /#([^0-9\r\n][^\r\n]*)?/,
  },
});
