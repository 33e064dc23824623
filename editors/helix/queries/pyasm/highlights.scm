; Syntax highlighting for pyasm.
;
; Patterns do not overlap, so the result is the same whether an editor lets
; the first or the last matching pattern win.

(comment) @comment

(directive_name) @keyword

(label
  name: (identifier) @label)

(instruction
  opcode: (identifier) @function)

(call
  function: (identifier) @function.builtin)

; Line-number column.
(position) @comment

((identifier) @constant.builtin
  (#match? @constant.builtin "^(None|True|False|NULL)$"))

(instruction
  operand: (identifier) @variable
  (#not-match? @variable "^(None|True|False|NULL)$"))

(directive
  argument: (identifier) @variable
  (#not-match? @variable "^(None|True|False|NULL)$"))

(call
  argument: (identifier) @variable
  (#not-match? @variable "^(None|True|False|NULL)$"))

([
  (tuple (identifier) @variable)
  (list (identifier) @variable)
  (set (identifier) @variable)
]
  (#not-match? @variable "^(None|True|False|NULL)$"))

(code_ref) @type

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
