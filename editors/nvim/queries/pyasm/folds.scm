; Folding ranges for pyasm.
;
; The grammar has no node for a code block (a block is just the lines from one
; `.code` directive up to the next), so a query cannot fold blocks; the language
; server computes those ranges from the `.code` lines itself. What is left is
; bracketed literals. Every line of pyasm is self-contained, so these only fold
; in editors that support folding within a line; they are listed for
; completeness.

[
  (tuple)
  (list)
  (set)
] @fold
