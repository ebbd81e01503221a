//! Message templates: literal text with `{expression}` placeholders; `{{` and `}}` are braces.
//!
//! `表三「{col}」列：新收{t3.new.person}件` — every placeholder is parsed when the template is, so a
//! typo in a rule file's message is reported at load time, at its column.

use super::eval::normalize;
use super::{Env, Expr, HostFunctions, Lookup, Outcome, ParseError};

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    /// An expression and the byte offset of its source within the template.
    Expr(Expr, usize),
}

/// A parsed message template.
#[derive(Debug, Clone)]
pub struct Template {
    src: String,
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(src: &str, host: &dyn HostFunctions) -> Result<Template, ParseError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = src.char_indices().peekable();
        while let Some((i, c)) = rest.next() {
            match c {
                '{' if rest.peek().map(|&(_, c)| c) == Some('{') => {
                    rest.next();
                    text.push('{');
                }
                '}' if rest.peek().map(|&(_, c)| c) == Some('}') => {
                    rest.next();
                    text.push('}');
                }
                '}' => {
                    return Err(ParseError::new(
                        i,
                        "unmatched `}`; write `}}` for a literal brace",
                    ));
                }
                '{' => {
                    let inner = i + 1;
                    let close = closing_brace(src, inner)?;
                    let code = &src[inner..close];
                    if code.trim().is_empty() {
                        return Err(ParseError::new(
                            i,
                            "empty placeholder `{}`; write `{{}}` for literal braces",
                        ));
                    }
                    let expr = Expr::parse(code, host)
                        .map_err(|e| ParseError::new(inner + e.offset, e.message))?;
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Expr(expr, inner));
                    while rest.peek().is_some_and(|&(j, _)| j <= close) {
                        rest.next();
                    }
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template {
            src: src.to_string(),
            parts,
        })
    }

    /// Every field reference in every placeholder, with byte offsets into the template source.
    pub fn refs(&self) -> Vec<(String, usize)> {
        self.parts
            .iter()
            .flat_map(|p| match p {
                Part::Text(_) => Vec::new(),
                Part::Expr(e, base) => e
                    .refs()
                    .into_iter()
                    .map(|(r, off)| (r, base + off))
                    .collect(),
            })
            .collect()
    }

    /// The message with every placeholder filled in. A placeholder that cannot be evaluated
    /// shows as "?", one that stopped on a blank cell as "(空)".
    pub fn render(&self, env: &dyn Env) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr(e, _) => match e.eval(env) {
                    Outcome::Value(v) => out.push_str(&v.to_string()),
                    Outcome::List(vs) => {
                        let items: Vec<String> = vs.iter().map(ToString::to_string).collect();
                        out.push_str(&items.join("、"));
                    }
                    Outcome::Missing(id) if normalize(env.lookup(&id)) == Lookup::Blank => {
                        out.push_str("(空)")
                    }
                    Outcome::Missing(_) | Outcome::Error(_) => out.push('?'),
                },
            }
        }
        out
    }

    pub fn source(&self) -> &str {
        &self.src
    }
}

/// The `}` that ends a placeholder whose code starts at `from`; braces inside string literals
/// (`{matches(x, "\d{4}")}`) do not count.
fn closing_brace(src: &str, from: usize) -> Result<usize, ParseError> {
    // The open quote and where it stands.
    let mut quote: Option<(char, usize)> = None;
    let mut escaped = false;
    for (j, c) in src[from..].char_indices() {
        let at = from + j;
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some((q, _)) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some((c, at)),
                '}' => return Ok(at),
                '{' => {
                    return Err(ParseError::new(
                        at,
                        "`{` inside a placeholder; close the first one with `}`",
                    ));
                }
                _ => {}
            },
        }
    }
    match quote {
        Some((_, at)) => Err(ParseError::new(
            at,
            "unterminated string literal in placeholder",
        )),
        None => Err(ParseError::new(from - 1, "unclosed placeholder `{`")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Host, TestEnv};
    use super::*;
    use crate::model::{Date, Value};

    fn env() -> TestEnv {
        TestEnv::new()
            .with("col", Value::Text("自然人".into()))
            .with("t3.new.person", Value::Int(12))
            .with(
                "published",
                Value::Date(Date {
                    year: 2024,
                    month: 2,
                    day: 3,
                }),
            )
            .with("year", Value::Int(2023))
            .blank("t3.carried.person")
            .with(
                "amount",
                Value::Amount {
                    value: 22979.87,
                    unit: "万元".into(),
                },
            )
            .with("title", Value::Text("某某局2023年度报告".into()))
    }

    fn render(src: &str) -> String {
        Template::parse(src, &Host)
            .expect("template parses")
            .render(&env())
    }

    #[test]
    fn renders_placeholders_with_display() {
        assert_eq!(
            render("表三「{col}」列：新收{t3.new.person}件"),
            "表三「自然人」列：新收12件"
        );
        assert_eq!(
            render("{year}年度报告发布于{published}，晚于{deadline(year, \"dept\")}"),
            "2023年度报告发布于2024-02-03，晚于2024-01-31"
        );
        assert_eq!(render("共{amount}"), "共22979.87万元");
        assert_eq!(render("{t3.new.person * 2 + 1} {year >= 2019}"), "25 true");
        assert_eq!(render("{numbers(\"3条和4条\", \"条\")}"), "3、4");
        assert_eq!(render("no placeholders"), "no placeholders");
        assert_eq!(render(""), "");
    }

    #[test]
    fn literal_and_nested_braces() {
        assert_eq!(render("{{literal}}"), "{literal}");
        assert_eq!(render("{{{year}}}"), "{2023}");
        assert_eq!(render("a}}b{{c"), "a}b{c");
        // Braces inside a string literal belong to the expression.
        assert_eq!(render("{matches(title, \"\\d{4}年度\")}"), "true");
        assert_eq!(render("{\"}\" + col + '{'}"), "}自然人{");
    }

    #[test]
    fn missing_blank_and_errors() {
        assert_eq!(render("结转{t3.carried.person}件"), "结转(空)件");
        assert_eq!(render("结转{nope.person}件"), "结转?件");
        assert_eq!(render("{col + 1}"), "?");
        assert_eq!(render("{t3.new.person / 0}"), "?");
        assert_eq!(render("{default(nope, \"无\")}"), "无");
    }

    #[test]
    fn parse_errors_point_into_the_template() {
        let err = |s: &str| Template::parse(s, &Host).unwrap_err();
        assert_eq!(err("abc {year").offset, 4);
        assert_eq!(err("abc } x").offset, 4);
        assert_eq!(err("ab {}").offset, 3);
        assert_eq!(err("ab { }").offset, 3);
        // Error inside the placeholder: offset of the bad token within the template.
        let e = err("年份{year +}");
        assert_eq!(e.offset, "年份{year +".len());
        let e = err("x{unknown_fn(1)}");
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("unknown_fn"));
        let e = err("x{a.*.b}");
        assert_eq!(e.offset, 2);
        assert_eq!(err("{a {b}}").offset, 3);
        assert_eq!(err("{\"open}").offset, 1);
    }

    #[test]
    fn refs_are_offsets_into_the_template() {
        let t = Template::parse("表{col}：{t3.new.person + sum(t3.x.*)}", &Host).unwrap();
        let src = t.source();
        let refs = t.refs();
        assert_eq!(refs.len(), 3);
        for (r, off) in &refs {
            assert_eq!(&src[*off..off + r.len()], r);
        }
        assert_eq!(refs[0].0, "col");
        assert_eq!(refs[2].0, "t3.x.*");
    }
}
