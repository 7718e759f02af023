//! Labels as text for a terminal or a Markdown table: control characters (a newline, an escape
//! sequence) come out as visible escapes, so a label can neither break a table row nor drive
//! the terminal.

/// `s` with every control character written as an escape (`\n`, `\t`, `\u{1b}`).
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// `s` for a terminal: as [`escape_controls`], but line breaks stay (a parse error's
/// diagram spans lines).
pub fn escape_controls_but_newlines(s: &str) -> String {
    s.split('\n').map(escape_controls).collect::<Vec<_>>().join("\n")
}

/// `s` as one cell of a Markdown table: controls escaped and `|` quoted.
pub fn table_cell(s: &str) -> String {
    escape_controls(s).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_letters_kept() {
        assert_eq!(escape_controls("a\nb\tc\u{1b}[31m"), "a\\nb\\tc\\u{1b}[31m");
        assert_eq!(escape_controls("二臂 ε=0.1"), "二臂 ε=0.1");
        assert_eq!(table_cell("x | y\nz"), "x \\| y\\nz");
        assert_eq!(escape_controls_but_newlines("a\n\u{1b}b"), "a\n\\u{1b}b");
    }
}
