//! The tokens of MUQL (`muql.md` §2), scanned on demand.
//!
//! Lexing depends on where the parser is: a node reference (`fn:src/a.py:f`,
//! `OrderService.place`) is one bare word only where the grammar expects a reference, and a word
//! is a keyword only where the grammar expects that keyword. So the lexer is a pure function of a
//! character offset ([`Lexer::token_at`], [`Lexer::reference_at`]) and the parser asks for what
//! it expects next; nothing is tokenised ahead of the parser.

use super::ast::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `[A-Za-z_][A-Za-z0-9_]*`: an identifier or a keyword.
    Word,
    /// `'…'` or `"…"`; `text` holds the value with doubled delimiters undone.
    Str,
    /// `-?[0-9]+` or `-?[0-9]+.[0-9]+`; `text` holds it as written.
    Number,
    /// One of `* , ( ) . ; ~ + - = != <> < <= > >=`.
    Symbol,
    /// The end of the text.
    End,
    /// A character that starts no token, or a string without its closing quote; `text` says
    /// which.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub text: String,
    /// Character offsets: where the token starts (after whitespace and comments) and ends.
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// Whether this is the word `keyword`, in any case.
    pub fn is_word(&self, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    pub fn is_symbol(&self, symbol: &str) -> bool {
        self.kind == TokenKind::Symbol && self.text == symbol
    }

    /// How an error message quotes the token: `'WHER'`, or `end of query`.
    pub fn describe(&self) -> String {
        match self.kind {
            TokenKind::End => "end of query".to_string(),
            TokenKind::Str => {
                let raw: String = self.text.chars().take(40).collect();
                format!("string '{raw}'")
            }
            _ => {
                let raw: String = self.text.chars().take(40).collect();
                format!("'{raw}'")
            }
        }
    }
}

/// The query text as characters, with line starts for positions.
pub struct Lexer {
    chars: Vec<char>,
    /// Character offsets where each line starts.
    line_starts: Vec<usize>,
}

/// Characters of a bare node reference after its first (§2).
fn is_reference_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '$' | '.' | '/' | ':' | '-')
}

/// First characters of a bare node reference.
fn starts_reference(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '_' | '$' | '.' | '/')
}

impl Lexer {
    pub fn new(text: &str) -> Lexer {
        let chars: Vec<char> = text.chars().collect();
        let mut line_starts = vec![0];
        for (i, &c) in chars.iter().enumerate() {
            if c == '\n' {
                line_starts.push(i + 1);
            }
        }
        Lexer { chars, line_starts }
    }

    /// Length in characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The line, column and offset of a character offset.
    pub fn pos(&self, offset: usize) -> Pos {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        Pos {
            line: line as u32,
            column: (offset - start + 1) as u32,
            offset,
        }
    }

    /// The offset of the first character at or after `at` that is not whitespace or inside a
    /// `--` comment.
    pub fn skip_trivia(&self, mut at: usize) -> usize {
        loop {
            while at < self.chars.len() && self.chars[at].is_whitespace() {
                at += 1;
            }
            if at + 1 < self.chars.len() && self.chars[at] == '-' && self.chars[at + 1] == '-' {
                while at < self.chars.len() && self.chars[at] != '\n' {
                    at += 1;
                }
                continue;
            }
            return at;
        }
    }

    /// The token starting at the first non-trivia character at or after `at`.
    pub fn token_at(&self, at: usize) -> Token {
        let start = self.skip_trivia(at);
        let c = self.chars.get(start).copied();
        let token = |kind, end: usize| Token {
            kind,
            text: self.chars[start..end].iter().collect(),
            start,
            end,
        };
        let Some(c) = c else {
            return Token {
                kind: TokenKind::End,
                text: String::new(),
                start,
                end: start,
            };
        };
        let next = self.chars.get(start + 1).copied();
        if c.is_ascii_alphabetic() || c == '_' {
            let mut end = start + 1;
            while end < self.chars.len()
                && (self.chars[end].is_ascii_alphanumeric() || self.chars[end] == '_')
            {
                end += 1;
            }
            return token(TokenKind::Word, end);
        }
        if c.is_ascii_digit() || (c == '-' && next.is_some_and(|n| n.is_ascii_digit())) {
            return token(TokenKind::Number, self.number_end(start));
        }
        if c == '\'' || c == '"' {
            return self.string_at(start, c);
        }
        let two: String = self.chars[start..(start + 2).min(self.chars.len())]
            .iter()
            .collect();
        if matches!(two.as_str(), "!=" | "<>" | "<=" | ">=") {
            return token(TokenKind::Symbol, start + 2);
        }
        if "*,().;~+-=<>".contains(c) {
            return token(TokenKind::Symbol, start + 1);
        }
        token(TokenKind::Invalid, start + 1)
    }

    fn number_end(&self, start: usize) -> usize {
        let digits = |mut i: usize| {
            while i < self.chars.len() && self.chars[i].is_ascii_digit() {
                i += 1;
            }
            i
        };
        let mut end = digits(if self.chars[start] == '-' {
            start + 1
        } else {
            start
        });
        if end + 1 < self.chars.len()
            && self.chars[end] == '.'
            && self.chars[end + 1].is_ascii_digit()
        {
            end = digits(end + 1);
        }
        end
    }

    /// A string: the delimiter written twice stands for itself; no other escapes.
    fn string_at(&self, start: usize, quote: char) -> Token {
        let mut value = String::new();
        let mut i = start + 1;
        while i < self.chars.len() {
            let c = self.chars[i];
            if c == quote {
                if self.chars.get(i + 1) == Some(&quote) {
                    value.push(quote);
                    i += 2;
                    continue;
                }
                return Token {
                    kind: TokenKind::Str,
                    text: value,
                    start,
                    end: i + 1,
                };
            }
            value.push(c);
            i += 1;
        }
        Token {
            kind: TokenKind::Invalid,
            text: "unterminated string".to_string(),
            start,
            end: self.chars.len(),
        }
    }

    /// A node reference at or after `at` (§2): a string, or a bare word of letters, digits and
    /// `_ $ . / : -` starting with a letter, `_`, `$`, `.` or `/`. `None` when neither starts
    /// there.
    pub fn reference_at(&self, at: usize) -> Option<Token> {
        let start = self.skip_trivia(at);
        let c = *self.chars.get(start)?;
        if c == '\'' || c == '"' {
            let t = self.string_at(start, c);
            return (t.kind == TokenKind::Str).then_some(t);
        }
        if !starts_reference(c) {
            return None;
        }
        let mut end = start + 1;
        while end < self.chars.len() && is_reference_char(self.chars[end]) {
            end += 1;
        }
        Some(Token {
            kind: TokenKind::Word,
            text: self.chars[start..end].iter().collect(),
            start,
            end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, String)> {
        let lx = Lexer::new(text);
        let mut at = 0;
        let mut out = Vec::new();
        loop {
            let t = lx.token_at(at);
            if t.kind == TokenKind::End {
                return out;
            }
            at = t.end;
            out.push((t.kind, t.text));
        }
    }

    #[test]
    fn tokens_of_a_select() {
        use TokenKind::*;
        let got = kinds("SELECT a,b FROM t WHERE x>=-1.5 AND y<>'it''s' -- note\n;");
        let want: Vec<(TokenKind, &str)> = vec![
            (Word, "SELECT"),
            (Word, "a"),
            (Symbol, ","),
            (Word, "b"),
            (Word, "FROM"),
            (Word, "t"),
            (Word, "WHERE"),
            (Word, "x"),
            (Symbol, ">="),
            (Number, "-1.5"),
            (Word, "AND"),
            (Word, "y"),
            (Symbol, "<>"),
            (Str, "it's"),
            (Symbol, ";"),
        ];
        assert_eq!(
            got,
            want.into_iter()
                .map(|(k, t)| (k, t.to_string()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn strings_numbers_and_invalid_characters() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#""a""b" 'c\d' 12. 3.25 #"#),
            vec![
                (Str, "a\"b".to_string()),
                (Str, "c\\d".to_string()),
                (Number, "12".to_string()),
                (Symbol, ".".to_string()),
                (Number, "3.25".to_string()),
                (Invalid, "#".to_string()),
            ]
        );
        let lx = Lexer::new("'open");
        let t = lx.token_at(0);
        assert_eq!((t.kind, t.text.as_str()), (Invalid, "unterminated string"));
    }

    #[test]
    fn references_and_positions() {
        let lx = Lexer::new("SHOW x OF\n  fn:src/a-b.py:Order.total DEPTH 2");
        let r = lx.reference_at(9).unwrap();
        assert_eq!(r.text, "fn:src/a-b.py:Order.total");
        let p = lx.pos(r.start);
        assert_eq!((p.line, p.column, p.offset), (2, 3, 12));
        assert_eq!(lx.reference_at(r.end).unwrap().text, "DEPTH");
        assert_eq!(lx.reference_at(0).unwrap().text, "SHOW");
        assert!(Lexer::new("  42").reference_at(0).is_none());
        assert_eq!(
            Lexer::new("'a b'").reference_at(0).unwrap().text,
            "a b".to_string()
        );
        // Columns count characters, not bytes.
        let lx = Lexer::new("'é' x");
        assert_eq!(lx.pos(lx.token_at(3).start).column, 5);
    }
}
