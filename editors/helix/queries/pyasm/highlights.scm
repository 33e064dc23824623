; Syntax highlighting for pyasm.
;
; Each capture is one category of a table shared with the TextMate grammar of
; the VS Code extension (editors/vscode/syntaxes/pyasm.tmLanguage.json) and
; the language server's semantic tokens; tests/highlight_consistency.rs checks
; that all three agree on tests/data/highlight_sample.pyasm. The capture names
; follow the semantic token types where there is one: an opcode is a
; `keyword`, a code block a `function`, a position a `parameter`.
;
; These patterns see only the syntax: an identifier operand is a `@variable`
; whatever it names. What it names (a label, a local, an entry of `co_names`)
; depends on the opcode and the version, which the language server knows and
; says with its semantic tokens.
;
; Patterns do not overlap (no node gets two different captures), so the
; result is the same whether an editor lets the first or the last matching
; pattern win. A pattern that captures more than one node matches at most
; once per line, and comes after the one-capture pattern for its
; `directive_name`, which it captures again with the same name: highlighters
; built on tree-sitter-highlight drop the other captures of a match when a
; later pattern captures the same node.

(comment) @comment

(directive_name) @keyword.directive

(label
  name: (identifier) @label)

(instruction
  opcode: (identifier) @keyword)

; The source position before an opcode: `12`, `1:0-5`, `-`.
(position) @variable.parameter

(code_ref) @function

; Identifiers where a value goes: the constants the language knows, and
; names (labels, locals, `co_names` entries, flags, ...).
(instruction
  operand: (identifier) @constant.builtin
  (#any-of? @constant.builtin "None" "True" "False" "NULL"))

(instruction
  operand: (identifier) @variable
  (#not-any-of? @variable "None" "True" "False" "NULL"))

([
  (tuple (identifier) @constant.builtin)
  (list (identifier) @constant.builtin)
  (set (identifier) @constant.builtin)
  (call argument: (identifier) @constant.builtin)
]
  (#any-of? @constant.builtin "None" "True" "False" "NULL"))

([
  (tuple (identifier) @variable)
  (list (identifier) @variable)
  (set (identifier) @variable)
  (call argument: (identifier) @variable)
]
  (#not-any-of? @variable "None" "True" "False" "NULL"))

; A directive's arguments after the first.
(directive
  argument: (_)
  .
  argument: (identifier) @constant.builtin
  (#any-of? @constant.builtin "None" "True" "False" "NULL"))

(directive
  argument: (_)
  .
  argument: (identifier) @variable
  (#not-any-of? @variable "None" "True" "False" "NULL"))

; A directive's first argument: after `.code`, the block's name.
(directive
  name: (directive_name) @keyword.directive
  .
  argument: (identifier) @function
  (#eq? @keyword.directive ".code"))

(directive
  name: (directive_name) @keyword.directive
  .
  argument: (identifier) @constant.builtin
  (#not-eq? @keyword.directive ".code")
  (#any-of? @constant.builtin "None" "True" "False" "NULL"))

(directive
  name: (directive_name) @keyword.directive
  .
  argument: (identifier) @variable
  (#not-eq? @keyword.directive ".code")
  (#not-any-of? @variable "None" "True" "False" "NULL"))

; `frozenset(...)`, `float(...)`, `complex(...)`, ...
(call
  function: (identifier) @function.builtin)

[
  (integer)
  (float)
  (index)
] @number

(string) @string

(operator) @operator

(ellipsis) @constant.builtin

[
  ","
  ":"
] @punctuation.delimiter

[
  "("
  ")"
  "["
  "]"
  "{"
  "}"
] @punctuation.bracket
