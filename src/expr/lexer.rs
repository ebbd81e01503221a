//! Source text → tokens, each with its byte range so errors can point at the exact column.

use super::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Int(i64),
    Dec(f64),
    Str(String),
    /// A field reference or a function name: `t3.denied.*.total`, `deadline`.
    Ref {
        path: String,
        glob: bool,
    },
    True,
    False,
    And,
    Or,
    Not,
    In,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn keyword(word: &str) -> Option<Tok> {
    Some(match word {
        "and" => Tok::And,
        "or" => Tok::Or,
        "not" => Tok::Not,
        "in" => Tok::In,
        "true" => Tok::True,
        "false" => Tok::False,
        _ => return None,
    })
}

/// Tokenizes the whole source; the last token is always `Eof` at `src.len()`.
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut lx = Lexer {
        src,
        pos: 0,
        toks: Vec::new(),
    };
    lx.run()?;
    Ok(lx.toks)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    toks: Vec<Token>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.src[self.pos..].chars();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.toks.push(Token {
            tok,
            start,
            end: self.pos,
        });
    }

    fn run(&mut self) -> Result<(), ParseError> {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c.is_whitespace() {
                self.bump();
            } else if is_ident_start(c) {
                self.word(start)?;
            } else if c.is_ascii_digit() {
                self.number(start)?;
            } else if c == '"' || c == '\'' {
                self.string(start, c)?;
            } else {
                self.operator(start, c)?;
            }
        }
        self.toks.push(Token {
            tok: Tok::Eof,
            start: self.src.len(),
            end: self.src.len(),
        });
        Ok(())
    }

    fn ident(&mut self) {
        while self.peek().is_some_and(is_ident_char) {
            self.bump();
        }
    }

    /// A keyword, or a reference `head(.segment)*` where a segment is `[A-Za-z0-9_]+` or `*`.
    fn word(&mut self, start: usize) -> Result<(), ParseError> {
        self.ident();
        if let Some(kw) = keyword(&self.src[start..self.pos]) {
            self.push(kw, start);
            return Ok(());
        }
        let mut glob = false;
        while self.peek() == Some('.') {
            let dot = self.pos;
            self.bump();
            match self.peek() {
                Some(c) if is_ident_char(c) => self.ident(),
                Some('*') => {
                    self.bump();
                    glob = true;
                    if self.peek().is_some_and(is_ident_char) {
                        return Err(ParseError::new(
                            dot + 1,
                            "a `*` segment matches a whole segment and stands alone between dots",
                        ));
                    }
                }
                _ => {
                    return Err(ParseError::new(
                        dot,
                        "expected a field segment (letters, digits, `_` or `*`) after `.`",
                    ));
                }
            }
        }
        let path = self.src[start..self.pos].to_string();
        self.push(Tok::Ref { path, glob }, start);
        Ok(())
    }

    fn number(&mut self, start: usize) -> Result<(), ParseError> {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        let decimal = self.peek() == Some('.') && self.peek2().is_some_and(|c| c.is_ascii_digit());
        if decimal {
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        if let Some(c) = self.peek().filter(|&c| is_ident_char(c)) {
            return Err(ParseError::new(
                self.pos,
                format!("unexpected `{c}` right after a number (names cannot start with a digit)"),
            ));
        }
        let text = &self.src[start..self.pos];
        let tok = if decimal {
            match text.parse::<f64>() {
                Ok(d) if d.is_finite() => Tok::Dec(d),
                _ => return Err(ParseError::new(start, "decimal literal out of range")),
            }
        } else {
            match text.parse::<i64>() {
                Ok(i) => Tok::Int(i),
                Err(_) => return Err(ParseError::new(start, "integer literal out of range")),
            }
        };
        self.push(tok, start);
        Ok(())
    }

    /// `"…"` or `'…'`. Escapes: `\"` `\'` `\\` `\n` `\t`; any other backslash is kept as written, so
    /// regex literals such as `"\d+条"` read naturally.
    fn string(&mut self, start: usize, quote: char) -> Result<(), ParseError> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(ParseError::new(start, "unterminated string literal")),
                Some(c) if c == quote => break,
                Some('\\') => match self.bump() {
                    None => return Err(ParseError::new(start, "unterminated string literal")),
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(c @ ('"' | '\'' | '\\')) => out.push(c),
                    Some(c) => {
                        out.push('\\');
                        out.push(c);
                    }
                },
                Some(c) => out.push(c),
            }
        }
        self.push(Tok::Str(out), start);
        Ok(())
    }

    fn operator(&mut self, start: usize, c: char) -> Result<(), ParseError> {
        self.bump();
        let next = self.peek();
        let two = |lx: &mut Self, tok| {
            lx.bump();
            tok
        };
        let tok = match (c, next) {
            ('=', Some('=')) => two(self, Tok::EqEq),
            ('!', Some('=')) => two(self, Tok::NotEq),
            ('<', Some('=')) => two(self, Tok::Le),
            ('>', Some('=')) => two(self, Tok::Ge),
            ('&', Some('&')) => two(self, Tok::And),
            ('|', Some('|')) => two(self, Tok::Or),
            ('=', _) => {
                return Err(ParseError::new(
                    start,
                    "`=` alone is not an operator; compare with `==`",
                ));
            }
            ('&', _) => {
                return Err(ParseError::new(
                    start,
                    "`&` alone is not an operator; use `&&` or `and`",
                ));
            }
            ('|', _) => {
                return Err(ParseError::new(
                    start,
                    "`|` alone is not an operator; use `||` or `or`",
                ));
            }
            ('!', _) => Tok::Not,
            ('<', _) => Tok::Lt,
            ('>', _) => Tok::Gt,
            ('+', _) => Tok::Plus,
            ('-', _) => Tok::Minus,
            ('*', _) => Tok::Star,
            ('/', _) => Tok::Slash,
            ('(', _) => Tok::LParen,
            (')', _) => Tok::RParen,
            ('[', _) => Tok::LBracket,
            (']', _) => Tok::RBracket,
            (',', _) => Tok::Comma,
            ('.', _) => {
                return Err(ParseError::new(
                    start,
                    "unexpected `.`: a field reference starts with a letter or `_`",
                ));
            }
            _ => return Err(ParseError::new(start, unexpected_char(c))),
        };
        self.push(tok, start);
        Ok(())
    }
}

/// Full-width punctuation (（ ） ， ＝ …) slips in easily when typing Chinese; name the ASCII twin.
fn unexpected_char(c: char) -> String {
    let ascii = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        '“' | '”' => Some('"'),
        '‘' | '’' => Some('\''),
        '、' => Some(','),
        '【' => Some('['),
        '】' => Some(']'),
        _ => None,
    };
    match ascii {
        Some(a) => format!("unexpected character `{c}` (full-width; did you mean `{a}`?)"),
        None if c.is_alphabetic() => format!(
            "unexpected character `{c}`: field names use ASCII letters, digits and `_`; put text in quotes"
        ),
        None => format!("unexpected character `{}`", c.escape_debug()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src)
            .expect("lexes")
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    fn r(path: &str, glob: bool) -> Tok {
        Tok::Ref {
            path: path.to_string(),
            glob,
        }
    }

    #[test]
    fn dotted_references_are_one_token() {
        assert_eq!(
            toks("t3.denied.1.total + legacy.apply.received"),
            vec![
                r("t3.denied.1.total", false),
                Tok::Plus,
                r("legacy.apply.received", false),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("t3.denied.*.total"),
            vec![r("t3.denied.*.total", true), Tok::Eof]
        );
        assert_eq!(
            toks("a.b*c"),
            vec![r("a.b", false), Tok::Star, r("c", false), Tok::Eof]
        );
    }

    #[test]
    fn keywords_are_not_references() {
        assert_eq!(
            toks("not a and b or c in true false"),
            vec![
                Tok::Not,
                r("a", false),
                Tok::And,
                r("b", false),
                Tok::Or,
                r("c", false),
                Tok::In,
                Tok::True,
                Tok::False,
                Tok::Eof
            ]
        );
        // Only whole words are keywords.
        assert_eq!(toks("index"), vec![r("index", false), Tok::Eof]);
    }

    #[test]
    fn numbers() {
        assert_eq!(
            toks("12 1.5 0.25"),
            vec![Tok::Int(12), Tok::Dec(1.5), Tok::Dec(0.25), Tok::Eof]
        );
        let e = lex("99999999999999999999").unwrap_err();
        assert_eq!(e.offset, 0);
        let e = lex("1 + 3x").unwrap_err();
        assert_eq!(e.offset, 5);
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            toks(r#""a\"b\\c\nd" 'it\'s' "\d+""#),
            vec![
                Tok::Str("a\"b\\c\nd".into()),
                Tok::Str("it's".into()),
                Tok::Str("\\d+".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("'say \"hi\"'"),
            vec![Tok::Str("say \"hi\"".into()), Tok::Eof]
        );
        let e = lex("x == \"open").unwrap_err();
        assert_eq!(e.offset, 5);
        assert!(e.message.contains("unterminated"));
    }

    #[test]
    fn operators_and_errors() {
        assert_eq!(
            toks("a<=b!=c&&!d||e>=f"),
            vec![
                r("a", false),
                Tok::Le,
                r("b", false),
                Tok::NotEq,
                r("c", false),
                Tok::And,
                Tok::Not,
                r("d", false),
                Tok::Or,
                r("e", false),
                Tok::Ge,
                r("f", false),
                Tok::Eof
            ]
        );
        assert_eq!(lex("a = b").unwrap_err().offset, 2);
        assert_eq!(lex("a & b").unwrap_err().offset, 2);
        assert_eq!(lex("a @ b").unwrap_err().offset, 2);
        // Byte offsets, not char offsets: "年" is three bytes.
        let e = lex("\"年\" （").unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(e.message.contains("`(`"), "{}", e.message);
        let e = lex("template == 2019年").unwrap_err();
        assert_eq!(e.offset, 16);
        assert!(e.message.contains("quotes"), "{}", e.message);
        // The ideographic space typed between Chinese words is whitespace.
        assert_eq!(lex("a\u{3000}+\u{3000}b").unwrap().len(), 4);
    }

    #[test]
    fn malformed_segments() {
        assert_eq!(lex("a. b").unwrap_err().offset, 1);
        assert_eq!(lex("a.").unwrap_err().offset, 1);
        assert_eq!(lex("a.*b").unwrap_err().offset, 2);
    }
}
