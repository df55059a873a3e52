//! What a call script may be made of. Scripts are written by supervisors and rendered on the
//! service's own threads, when saved and for every call: tera lets a macro call itself with no
//! limit (one that never stops overflows the stack, which aborts the whole service, every
//! user's requests with it), an include can include the script itself, and loops nested deep
//! multiply their work. Scripts need text, variables, conditions and a loop over the support
//! organisations; anything else is refused with the reason, before the script is rendered.

use tera::ast::Node;

/// Loops inside loops a script may have: over the organisations, and over something in each.
const MAX_LOOP_DEPTH: usize = 2;

/// Why a parsed script part cannot be used, if it cannot.
pub fn refusal(nodes: &[Node]) -> Option<String> {
    within(nodes, 0)
}

fn within(nodes: &[Node], loops: usize) -> Option<String> {
    nodes.iter().find_map(|node| match node {
        Node::MacroDefinition(..) => Some(
            "Call scripts cannot define macros ({% macro %}): write the text out where it is needed."
                .to_string(),
        ),
        Node::Include(..) | Node::ImportMacro(..) | Node::Extends(..) => Some(
            "Call scripts cannot include, import or extend other templates: a script is one piece of text."
                .to_string(),
        ),
        Node::Forloop(..) if loops >= MAX_LOOP_DEPTH => Some(format!(
            "Call scripts may put loops ({{% for %}}) at most {MAX_LOOP_DEPTH} deep, one inside the other."
        )),
        Node::Forloop(_, forloop, _) => within(&forloop.body, loops + 1).or_else(|| {
            forloop
                .empty_body
                .as_deref()
                .and_then(|empty| within(empty, loops))
        }),
        Node::If(branches, _) => branches
            .conditions
            .iter()
            .find_map(|(_, _, body)| within(body, loops))
            .or_else(|| {
                branches
                    .otherwise
                    .as_ref()
                    .and_then(|(_, body)| within(body, loops))
            }),
        Node::Block(_, block, _) => within(&block.body, loops),
        Node::FilterSection(_, section, _) => within(&section.body, loops),
        _ => None,
    })
}
