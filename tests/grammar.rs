//! The tree-sitter grammar as seen from Rust: node kinds and fields of parsed
//! samples, and the syntax errors reported for broken ones.

use pyasm::syntax::{self, field, kind, SyntaxError};
use tree_sitter::{InputEdit, Node, Point, Query, Tree};

const EXAMPLE: &str = r#"# hello world
.python 3.11
.pyc mtime 0 size 0

.code module
    .filename 'hello.py'
    .consts None 'doc'
    .var x
    .var self local cell
    .except start end -> handler depth 1 lasti
0       RESUME 0
1:0-5   PUSH_NULL
1:0-5   LOAD_NAME print
        LOAD_GLOBAL NULL + print
1:6-13  LOAD_CONST 'hello, world'
        LOAD_CONST (1, 2.5, -0.0, b'\x00', frozenset({1}), ..., None, @f, complex(1.0, 2.0))
2:0-3:4 BINARY_OP +=
5:?-?   COMPARE_OP <=
-       NOP
start:
        JUMP_BACKWARD start   # a comment
        LOAD_CONST #3
        MAKE_FUNCTION defaults closure
        UNPACK_EX 1, 2
end:
handler:
        RETURN_VALUE
.code f
    .name 'f'
    .flags OPTIMIZED NEWLOCALS
    LOAD_FAST '.0'
"#;

fn text<'a>(node: Node<'_>, source: &'a str) -> &'a str {
    &source[node.byte_range()]
}

/// The top-level nodes of a file (directives, labels, instructions and
/// errors), comments left out.
fn items(tree: &Tree) -> Vec<Node<'_>> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .filter(|node| node.kind() != kind::COMMENT)
        .collect()
}

/// Kind and text of every node in `field` of `node`.
fn fields<'a>(node: Node<'_>, name: &str, source: &'a str) -> Vec<(String, &'a str)> {
    let mut cursor = node.walk();
    node.children_by_field_name(name, &mut cursor)
        .map(|child| (child.kind().to_string(), text(child, source)))
        .collect()
}

/// Kind and text of every child, named or not.
fn children<'a>(node: Node<'_>, source: &'a str) -> Vec<(String, &'a str)> {
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .map(|child| (child.kind().to_string(), text(child, source)))
        .collect()
}

fn pairs<'a>(list: &[(&str, &'a str)]) -> Vec<(String, &'a str)> {
    list.iter().map(|(k, t)| (k.to_string(), *t)).collect()
}

fn only_instruction<'a>(tree: &'a Tree, source: &str) -> Node<'a> {
    let items = items(tree);
    assert_eq!(items.len(), 1, "{}", tree.root_node().to_sexp());
    assert!(
        syntax::syntax_errors(tree, source).is_empty(),
        "{}",
        tree.root_node().to_sexp()
    );
    assert_eq!(items[0].kind(), kind::INSTRUCTION);
    items[0]
}

#[test]
fn language_matches_runtime() {
    let language = syntax::language();
    let abi = language.abi_version();
    assert!(
        (tree_sitter::MIN_COMPATIBLE_LANGUAGE_VERSION..=tree_sitter::LANGUAGE_VERSION)
            .contains(&abi),
        "parser ABI {abi} not supported by this runtime"
    );
    // Panics if the runtime refuses the parser.
    let tree = syntax::parse("", None);
    assert_eq!(tree.root_node().kind(), kind::SOURCE_FILE);
}

#[test]
fn every_kind_and_field_name_exists() {
    let language = syntax::language();
    for name in [
        kind::SOURCE_FILE,
        kind::DIRECTIVE,
        kind::DIRECTIVE_NAME,
        kind::LABEL,
        kind::INSTRUCTION,
        kind::POSITION,
        kind::IDENTIFIER,
        kind::INTEGER,
        kind::FLOAT,
        kind::STRING,
        kind::CODE_REF,
        kind::INDEX,
        kind::OPERATOR,
        kind::ELLIPSIS,
        kind::TUPLE,
        kind::LIST,
        kind::SET,
        kind::CALL,
        kind::COMMENT,
    ] {
        assert_ne!(language.id_for_node_kind(name, true), 0, "{name}");
    }
    for name in [
        field::NAME,
        field::ARGUMENT,
        field::POSITION,
        field::OPCODE,
        field::OPERAND,
        field::FUNCTION,
    ] {
        assert!(language.field_id_for_name(name).is_some(), "{name}");
    }
}

#[test]
fn queries_compile() {
    let language = syntax::language();
    Query::new(&language, syntax::HIGHLIGHTS_QUERY).expect("highlights.scm");
    Query::new(&language, syntax::FOLDS_QUERY).expect("folds.scm");
}

#[test]
fn example_parses_cleanly() {
    let tree = syntax::parse(EXAMPLE, None);
    assert_eq!(syntax::syntax_errors(&tree, EXAMPLE), vec![]);
    assert!(!tree.root_node().has_error());

    let items = items(&tree);
    let kinds: Vec<&str> = items.iter().map(|node| node.kind()).collect();
    let count = |k: &str| kinds.iter().filter(|&&x| x == k).count();
    assert_eq!(count(kind::DIRECTIVE), 11);
    assert_eq!(count(kind::LABEL), 3);
    assert_eq!(count(kind::INSTRUCTION), 15);

    // `.except start end -> handler depth 1 lasti`
    let except = items[7];
    assert_eq!(except.kind(), kind::DIRECTIVE);
    let name = except.child_by_field_name(field::NAME).unwrap();
    assert_eq!(name.kind(), kind::DIRECTIVE_NAME);
    assert_eq!(text(name, EXAMPLE), ".except");
    assert_eq!(
        fields(except, field::ARGUMENT, EXAMPLE),
        pairs(&[
            ("identifier", "start"),
            ("identifier", "end"),
            ("operator", "->"),
            ("identifier", "handler"),
            ("identifier", "depth"),
            ("integer", "1"),
            ("identifier", "lasti"),
        ])
    );

    // `1:6-13  LOAD_CONST 'hello, world'`
    let load = items[12];
    assert_eq!(load.kind(), kind::INSTRUCTION);
    let position = load.child_by_field_name(field::POSITION).unwrap();
    assert_eq!(position.kind(), kind::POSITION);
    assert_eq!(text(position, EXAMPLE), "1:6-13");
    let opcode = load.child_by_field_name(field::OPCODE).unwrap();
    assert_eq!(opcode.kind(), kind::IDENTIFIER);
    assert_eq!(text(opcode, EXAMPLE), "LOAD_CONST");
    assert_eq!(
        fields(load, field::OPERAND, EXAMPLE),
        pairs(&[("string", "'hello, world'")])
    );

    // `start:`
    let label = items[17];
    assert_eq!(label.kind(), kind::LABEL);
    assert_eq!(
        text(label.child_by_field_name(field::NAME).unwrap(), EXAMPLE),
        "start"
    );

    // `        LOAD_GLOBAL NULL + print` has no position.
    let global = items[11];
    assert!(global.child_by_field_name(field::POSITION).is_none());
    assert_eq!(
        fields(global, field::OPERAND, EXAMPLE),
        pairs(&[
            ("identifier", "NULL"),
            ("operator", "+"),
            ("identifier", "print"),
        ])
    );
}

#[test]
fn position_at_line_start_integer_after_opcode() {
    for (source, position) in [
        ("12 JUMP_FORWARD 12\n", "12"),
        ("- JUMP_FORWARD 12\n", "-"),
        ("3-4 JUMP_FORWARD 12\n", "3-4"),
        ("5:?-? JUMP_FORWARD 12\n", "5:?-?"),
        ("5:0-6:? JUMP_FORWARD 12\n", "5:0-6:?"),
    ] {
        let tree = syntax::parse(source, None);
        let instruction = only_instruction(&tree, source);
        let node = instruction.child_by_field_name(field::POSITION).unwrap();
        assert_eq!(text(node, source), position);
        assert_eq!(
            fields(instruction, field::OPERAND, source),
            pairs(&[("integer", "12")])
        );
    }
}

#[test]
fn scalar_values() {
    let source =
        "LOAD_CONST -1 0x_ff 1.5 -0.0 1e100 .5 2. 'a\\'b' b\"\\x00\" None @f #3 ... @ @= -> inf\n";
    let tree = syntax::parse(source, None);
    let instruction = only_instruction(&tree, source);
    assert_eq!(
        fields(instruction, field::OPERAND, source),
        pairs(&[
            ("integer", "-1"),
            ("integer", "0x_ff"),
            ("float", "1.5"),
            ("float", "-0.0"),
            ("float", "1e100"),
            ("float", ".5"),
            ("float", "2."),
            ("string", "'a\\'b'"),
            ("string", "b\"\\x00\""),
            ("identifier", "None"),
            ("code_ref", "@f"),
            ("index", "#3"),
            ("ellipsis", "..."),
            ("operator", "@"),
            ("operator", "@="),
            ("operator", "->"),
            ("identifier", "inf"),
        ])
    );
}

#[test]
fn commas_tell_parenthesized_value_from_one_tuple() {
    let source = "LOAD_CONST (1) (1,) () (1, 2,)\n";
    let tree = syntax::parse(source, None);
    let instruction = only_instruction(&tree, source);
    let mut cursor = instruction.walk();
    let tuples: Vec<Node> = instruction
        .children_by_field_name(field::OPERAND, &mut cursor)
        .collect();
    assert!(tuples.iter().all(|node| node.kind() == kind::TUPLE));
    assert_eq!(
        children(tuples[0], source),
        pairs(&[("(", "("), ("integer", "1"), (")", ")")])
    );
    assert_eq!(
        children(tuples[1], source),
        pairs(&[("(", "("), ("integer", "1"), (",", ","), (")", ")")])
    );
    assert_eq!(
        children(tuples[2], source),
        pairs(&[("(", "("), (")", ")")])
    );
    assert_eq!(tuples[3].named_child_count(), 2);
}

#[test]
fn calls_lists_and_sets() {
    let source = "LOAD_CONST frozenset({1, 2}) complex(1.0, -2.0) [None] {} x (1,)\n";
    let tree = syntax::parse(source, None);
    let instruction = only_instruction(&tree, source);
    let mut cursor = instruction.walk();
    let operands: Vec<Node> = instruction
        .children_by_field_name(field::OPERAND, &mut cursor)
        .collect();
    let kinds: Vec<&str> = operands.iter().map(|node| node.kind()).collect();
    // A space before `(` makes a name and a tuple, not a call.
    assert_eq!(
        kinds,
        ["call", "call", "list", "set", "identifier", "tuple"]
    );

    let frozenset = operands[0];
    assert_eq!(
        text(
            frozenset.child_by_field_name(field::FUNCTION).unwrap(),
            source
        ),
        "frozenset"
    );
    assert_eq!(
        fields(frozenset, field::ARGUMENT, source),
        pairs(&[("set", "{1, 2}")])
    );
    assert_eq!(
        fields(operands[1], field::ARGUMENT, source),
        pairs(&[("float", "1.0"), ("float", "-2.0")])
    );
}

#[test]
fn commas_between_operands_are_optional() {
    for source in ["UNPACK_EX 1, 2", "UNPACK_EX 1 2", "UNPACK_EX 1 ,2"] {
        let tree = syntax::parse(source, None);
        let instruction = only_instruction(&tree, source);
        assert_eq!(
            fields(instruction, field::OPERAND, source),
            pairs(&[("integer", "1"), ("integer", "2")])
        );
    }
    let source = ".consts None, 'doc'\n";
    let tree = syntax::parse(source, None);
    let directive = items(&tree)[0];
    assert_eq!(
        fields(directive, field::ARGUMENT, source),
        pairs(&[("identifier", "None"), ("string", "'doc'")])
    );
}

#[test]
fn line_endings_and_comments() {
    let source = "# top\r\n.code f\r\n\r\nloop:  # here\r\n  NOP # #3 is not an index here\r\nNOP";
    let tree = syntax::parse(source, None);
    assert_eq!(syntax::syntax_errors(&tree, source), vec![]);
    let kinds: Vec<&str> = items(&tree).iter().map(|node| node.kind()).collect();
    assert_eq!(kinds, ["directive", "label", "instruction", "instruction"]);
    let root = tree.root_node();
    let mut cursor = root.walk();
    let comments: Vec<&str> = root
        .named_children(&mut cursor)
        .filter(|node| node.kind() == kind::COMMENT)
        .map(|node| text(node, source))
        .collect();
    assert_eq!(comments, ["# top", "# here", "# #3 is not an index here"]);
}

fn errors(source: &str) -> Vec<SyntaxError> {
    syntax::syntax_errors(&syntax::parse(source, None), source)
}

fn error(start_byte: usize, end_byte: usize, message: &str) -> SyntaxError {
    SyntaxError {
        start_byte,
        end_byte,
        message: message.to_string(),
    }
}

/// The byte offset of the `n`th (0-based) occurrence of `needle`.
fn offset(source: &str, needle: &str, n: usize) -> usize {
    source.match_indices(needle).nth(n).unwrap().0
}

#[test]
fn unterminated_string() {
    let source = "LOAD_CONST 'abc\nNOP\n";
    let start = offset(source, "'", 0);
    assert_eq!(
        errors(source),
        vec![error(start, start + 4, "unterminated string")]
    );

    // `b` is a name of its own when no string follows it.
    let source = "LOAD_CONST 'a' b\"oops\n.code f\n";
    let start = offset(source, "\"", 0);
    assert_eq!(
        errors(source),
        vec![error(start, start + 5, "unterminated string")]
    );
}

#[test]
fn stray_closing_parenthesis() {
    let source = "NOP\nLOAD_CONST (1, 2))\nNOP\n";
    let start = offset(source, "))", 0) + 1;
    assert_eq!(
        errors(source),
        vec![error(start, start + 1, "unexpected `)`")]
    );
}

#[test]
fn missing_closing_parenthesis() {
    let source = "LOAD_CONST (1, 2\nNOP\n";
    let end = offset(source, "2", 0) + 1;
    assert_eq!(errors(source), vec![error(end, end, "missing `)`")]);

    let source = "LOAD_CONST frozenset({1}\n";
    let end = offset(source, "}", 0) + 1;
    assert_eq!(errors(source), vec![error(end, end, "missing `)`")]);
}

#[test]
fn misplaced_tokens() {
    let source = "loop: NOP\n";
    assert_eq!(errors(source), vec![error(6, 9, "unexpected `NOP`")]);

    let source = "'abc'\nNOP\n";
    assert_eq!(errors(source), vec![error(0, 5, "unexpected `'abc'`")]);

    let source = "LOAD_CONST (1 2)\n";
    let start = offset(source, "2", 0);
    assert_eq!(
        errors(source),
        vec![error(start, start + 1, "unexpected `2`")]
    );

    let source = "NOP $\n";
    assert_eq!(errors(source), vec![error(4, 5, "unexpected `$`")]);
}

#[test]
fn position_without_opcode() {
    let source = "12:0-5\nNOP\n";
    assert_eq!(
        errors(source),
        vec![error(6, 7, "expected an opcode after the position")]
    );
}

#[test]
fn errors_stay_on_their_lines() {
    let source = "\
.code f
LOAD_CONST 'oops
.name 'f'
NOP )
loop:
1 RETURN_VALUE
";
    let tree = syntax::parse(source, None);
    let found = syntax::syntax_errors(&tree, source);
    let quote = offset(source, "'oops", 0);
    let paren = offset(source, ")", 0);
    assert_eq!(
        found,
        vec![
            error(quote, quote + 5, "unterminated string"),
            error(paren, paren + 1, "unexpected `)`"),
        ]
    );
    let kinds: Vec<&str> = items(&tree).iter().map(|node| node.kind()).collect();
    assert_eq!(
        kinds,
        [
            "directive",
            "instruction",
            "ERROR",
            "directive",
            "instruction",
            "ERROR",
            "label",
            "instruction"
        ]
    );
}

#[test]
fn long_errors_are_shortened() {
    let source = format!("NOP {}\n", ")".repeat(100));
    let found = errors(&source);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].message,
        format!("unexpected `{}…`", ")".repeat(40))
    );
    assert_eq!((found[0].start_byte, found[0].end_byte), (4, 104));
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 5_000;
    let source = format!("LOAD_CONST {}1 2{}\n", "(".repeat(depth), ")".repeat(depth));
    let two = offset(&source, "2", 0);
    assert_eq!(errors(&source), vec![error(two, two + 1, "unexpected `2`")]);
}

#[test]
fn incremental_reparse_matches_fresh_parse() {
    let old_source = "NOP\nLOAD_CONST 1\n";
    let mut tree = syntax::parse(old_source, None);
    // Replace `1` by `(1, 'a')`.
    let start = offset(old_source, "1", 0);
    let new_source = "NOP\nLOAD_CONST (1, 'a')\n";
    tree.edit(&InputEdit {
        start_byte: start,
        old_end_byte: start + 1,
        new_end_byte: start + 8,
        start_position: Point::new(1, 11),
        old_end_position: Point::new(1, 12),
        new_end_position: Point::new(1, 19),
    });
    let reparsed = syntax::parse(new_source, Some(&tree));
    let fresh = syntax::parse(new_source, None);
    assert_eq!(reparsed.root_node().to_sexp(), fresh.root_node().to_sexp());
    assert_eq!(
        fields(items(&reparsed)[1], field::OPERAND, new_source),
        pairs(&[("tuple", "(1, 'a')")])
    );
}
