//! The decision tree drawn at build time as inline SVG: depth left to right, one row per leaf,
//! each node a link to the wizard at that point. All text is escaped here, since the SVG is
//! inserted into the page as markup.

use std::fmt::Write as _;

use crate::decide::{DecisionTree, Node};
use crate::knowledge::Knowledge;

const COLUMN: f64 = 250.0;
const BOX_WIDTH: f64 = 190.0;
const ROW: f64 = 58.0;
const LINE: f64 = 15.0;
const MARGIN: f64 = 12.0;
const CHARS_PER_LINE: usize = 27;
const MAX_LINES: usize = 3;

/// A node placed on the canvas.
struct Placed {
    x: f64,
    y: f64,
    /// Answers (indexes) from the root: the wizard state this node links to.
    answers: Vec<usize>,
    label: Vec<String>,
    title: String,
    /// `None` for a question; the recommended subject's position for a leaf.
    leaf: Option<Option<usize>>,
}

struct Edge {
    from: usize,
    to: usize,
    label: String,
}

/// Draws the tree; `wizard_href` is the page-relative link for a list of answers.
pub fn tree_svg(
    knowledge: &Knowledge,
    tree: &DecisionTree,
    wizard_href: &dyn Fn(&[usize]) -> String,
) -> String {
    let mut placed = Vec::new();
    let mut edges = Vec::new();
    let mut next_row = 0.0;
    place(
        knowledge,
        &tree.root,
        0,
        &mut Vec::new(),
        &mut next_row,
        &mut placed,
        &mut edges,
    );
    let width = (tree.root.depth() as f64) * COLUMN + BOX_WIDTH + 2.0 * MARGIN;
    let height = next_row * ROW + 2.0 * MARGIN;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="tree-diagram" xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="group" aria-labelledby="diagram-title"><title id="diagram-title">Decision tree: {} nodes</title>"#,
        tree.size
    );
    for edge in &edges {
        draw_edge(&mut svg, &placed[edge.from], &placed[edge.to], &edge.label);
    }
    for node in &placed {
        draw_node(&mut svg, node, wizard_href);
    }
    svg.push_str("</svg>");
    svg
}

/// Lays out a subtree: leaves take the next row, a question sits level with its children's middle.
fn place(
    knowledge: &Knowledge,
    node: &Node,
    depth: usize,
    answers: &mut Vec<usize>,
    next_row: &mut f64,
    placed: &mut Vec<Placed>,
    edges: &mut Vec<Edge>,
) -> usize {
    let x = MARGIN + depth as f64 * COLUMN;
    match node {
        Node::Leaf { ranking } => {
            let recommended = ranking.first().map(|c| c.subject);
            let name =
                recommended.map_or("No subject left", |s| knowledge.subjects[s].name.as_str());
            let y = MARGIN + *next_row * ROW + ROW / 2.0;
            *next_row += 1.0;
            let title = format!("Recommendation: {name}");
            placed.push(Placed {
                x,
                y,
                answers: answers.clone(),
                label: wrap(name),
                title,
                leaf: Some(recommended),
            });
            placed.len() - 1
        }
        Node::Ask {
            question: at,
            branches,
            ..
        } => {
            let question = DecisionTree::question(knowledge, *at);
            let index = placed.len();
            placed.push(Placed {
                x,
                y: 0.0,
                answers: answers.clone(),
                label: wrap(&question.text),
                title: question.text.clone(),
                leaf: None,
            });
            let mut children = Vec::with_capacity(branches.len());
            for (answer, next) in branches.iter().enumerate() {
                answers.push(answer);
                let child = place(knowledge, next, depth + 1, answers, next_row, placed, edges);
                answers.pop();
                edges.push(Edge {
                    from: index,
                    to: child,
                    label: question.answers[answer].label.clone(),
                });
                children.push(child);
            }
            let first = children.first().map_or(0.0, |&c| placed[c].y);
            let last = children.last().map_or(0.0, |&c| placed[c].y);
            placed[index].y = (first + last) / 2.0;
            index
        }
    }
}

fn draw_edge(svg: &mut String, from: &Placed, to: &Placed, label: &str) {
    let (x1, y1) = (from.x + BOX_WIDTH, from.y);
    let (x2, y2) = (to.x, to.y);
    let mid = (x1 + x2) / 2.0;
    let _ = write!(
        svg,
        r#"<path class="edge" d="M{x1:.1},{y1:.1} C{mid:.1},{y1:.1} {mid:.1},{y2:.1} {x2:.1},{y2:.1}"/><text class="edge-label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
        x2 - 6.0,
        y2 - 6.0,
        escape(&truncate(label, 20))
    );
}

fn draw_node(svg: &mut String, node: &Placed, wizard_href: &dyn Fn(&[usize]) -> String) {
    let height = node.label.len() as f64 * LINE + 12.0;
    let top = node.y - height / 2.0;
    let class = match node.leaf {
        None => "node question".to_string(),
        Some(Some(subject)) => format!("node leaf subject-{}", subject % 8),
        Some(None) => "node leaf empty".to_string(),
    };
    let _ = write!(
        svg,
        r#"<a href="{}" class="{class}"><title>{}</title><rect x="{:.1}" y="{top:.1}" width="{BOX_WIDTH}" height="{height:.1}" rx="6"/>"#,
        escape(&wizard_href(&node.answers)),
        escape(&node.title),
        node.x
    );
    for (i, line) in node.label.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            node.x + 8.0,
            top + 6.0 + LINE * (i as f64 + 0.8),
            escape(line)
        );
    }
    svg.push_str("</a>");
}

/// Wraps text into at most [`MAX_LINES`] lines, ending with an ellipsis when cut.
fn wrap(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let word = truncate(word, CHARS_PER_LINE);
        if !current.is_empty()
            && current.chars().count() + 1 + word.chars().count() > CHARS_PER_LINE
        {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > MAX_LINES {
        lines.truncate(MAX_LINES);
        let last = &mut lines[MAX_LINES - 1];
        *last = format!(
            "{}…",
            truncate(last, CHARS_PER_LINE - 1).trim_end_matches('…')
        );
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Escapes text for SVG (XML) content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_long_questions_into_three_lines_at_most() {
        let lines = wrap(
            "Do you need to choose the operating system or install custom software on the host machine?",
        );
        assert_eq!(lines.len(), 3);
        assert!(
            lines.iter().all(|l| l.chars().count() <= CHARS_PER_LINE),
            "{lines:?}"
        );
        assert!(lines[2].ends_with('…'));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>\"x\" & 'y'"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;"
        );
    }
}
