use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use super::*;
use crate::model::Date;

/// Fields in a map; `deadline(year, kind)` as the only host function.
pub(crate) struct TestEnv {
    fields: BTreeMap<String, Lookup>,
}

impl TestEnv {
    pub(crate) fn new() -> TestEnv {
        TestEnv {
            fields: BTreeMap::new(),
        }
    }

    pub(crate) fn with(mut self, id: &str, v: Value) -> TestEnv {
        self.fields.insert(id.to_string(), Lookup::Value(v));
        self
    }

    pub(crate) fn blank(mut self, id: &str) -> TestEnv {
        self.fields.insert(id.to_string(), Lookup::Blank);
        self
    }
}

impl Env for TestEnv {
    fn lookup(&self, id: &str) -> Lookup {
        self.fields.get(id).cloned().unwrap_or(Lookup::Absent)
    }

    fn glob(&self, pattern: &str) -> Vec<(String, Lookup)> {
        self.fields
            .iter()
            .filter(|(id, _)| glob_matches(pattern, id))
            .map(|(id, l)| (id.clone(), l.clone()))
            .collect()
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        match (name, args) {
            ("deadline", [Value::Int(y), Value::Text(kind)]) => {
                let y = i32::try_from(*y).map_err(|_| "year out of range".to_string())? + 1;
                let month = if kind == "dept" { 1 } else { 3 };
                Ok(Value::Date(Date::new(y, month, 31).ok_or("no such date")?))
            }
            ("deadline", _) => Err("expects (year, kind)".to_string()),
            _ => Err(format!("no function {name}")),
        }
    }
}

pub(crate) struct Host;

impl HostFunctions for Host {
    fn arity(&self, name: &str) -> Option<RangeInclusive<usize>> {
        match name {
            "deadline" => Some(2..=2),
            "fiscal" => Some(1..=3),
            _ => None,
        }
    }
}

fn d(y: i32, m: u32, day: u32) -> Value {
    Value::Date(Date {
        year: y,
        month: m,
        day,
    })
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn env() -> TestEnv {
    TestEnv::new()
        .with("year", Value::Int(2023))
        .with("template", text("2021"))
        .with("agency_kind", text("dept"))
        .with("published", d(2024, 1, 20))
        .with("title", text("某某市某某局2023年政府信息公开工作年度报告"))
        .with(
            "parts",
            text("主动公开政务资讯713条，政府信息1563条，信息6件"),
        )
        .with("total", Value::Int(2276))
        .with("t3.new.total", Value::Int(100))
        .with("t3.carried.total", Value::Int(5))
        .with("t3.total.total", Value::Int(98))
        .with("t3.carry_next.total", Value::Int(7))
        .with("prev.t3.carry_next.total", Value::Int(5))
        .with("t3.denied.1.person", Value::Int(1))
        .with("t3.denied.2.person", Value::Int(2))
        .blank("t3.denied.3.person")
        .with("t3.denied.4.person", Value::Int(4))
        .with("t3.denied.4.extra.person", Value::Int(1000))
        .with("t3.granted.person", Value::Int(10))
        .with("t3.total.person", Value::Int(17))
        .blank("t3.blank")
        .with("spaces", text("  "))
        .with("part.5.body", text("无"))
        .with("dec", Value::Dec(1.5))
        .with(
            "money",
            Value::Amount {
                value: 22979.87,
                unit: "万元".into(),
            },
        )
        .with(
            "money2",
            Value::Amount {
                value: 0.13,
                unit: "万元".into(),
            },
        )
        .with(
            "yuan",
            Value::Amount {
                value: 100.0,
                unit: "元".into(),
            },
        )
        .with("big", Value::Int(i64::MAX))
        .with("small", Value::Int(i64::MIN))
        .with("zero", Value::Int(0))
        .with("flag", Value::Bool(true))
}

fn ev(src: &str) -> Outcome {
    match Expr::parse(src, &Host) {
        Ok(e) => e.eval(&env()),
        Err(e) => panic!(
            "`{}` should parse: {e}",
            src.chars().take(80).collect::<String>()
        ),
    }
}

fn val(src: &str) -> Value {
    match ev(src) {
        Outcome::Value(v) => v,
        other => panic!("`{src}` should give a value, got {other:?}"),
    }
}

fn truth(src: &str) -> bool {
    match ev(src) {
        Outcome::Value(Value::Bool(b)) => b,
        other => panic!("`{src}` should give a boolean, got {other:?}"),
    }
}

fn err(src: &str) -> String {
    match ev(src) {
        Outcome::Error(e) => e,
        other => panic!("`{src}` should fail, got {other:?}"),
    }
}

fn missing(src: &str) -> String {
    match ev(src) {
        Outcome::Missing(id) => id,
        other => panic!("`{src}` should be missing, got {other:?}"),
    }
}

fn perr(src: &str) -> ParseError {
    match Expr::parse(src, &Host) {
        Ok(e) => panic!("`{src}` should not parse, got {e:?}"),
        Err(e) => e,
    }
}

#[test]
fn the_examples_from_the_rule_pack_evaluate() {
    assert!(truth(
        "t3.new.total + t3.carried.total == t3.total.total + t3.carry_next.total"
    ));
    assert!(truth("published <= deadline(year, agency_kind)"));
    assert!(truth("template in [\"2019\", \"2021\"] && year >= 2019"));
    assert!(truth(
        "sum(t3.denied.*.person) + t3.granted.person == t3.total.person"
    ));
    assert!(!truth("!present(part.5.body) || len(part.5.body) >= 10"));
    assert!(truth("total == sum(numbers(parts, \"条\"))"));
    assert!(truth("year_of(published) == year + 1"));
    assert!(truth("matches(title, \"政府信息公开工作年度报告$\")"));
    assert!(truth("prev.t3.carry_next.total == t3.carried.total"));
}

#[test]
fn precedence_and_associativity() {
    assert_eq!(val("1 + 2 * 3"), Value::Int(7));
    assert_eq!(val("(1 + 2) * 3"), Value::Int(9));
    assert_eq!(val("10 - 3 - 2"), Value::Int(5));
    assert_eq!(val("10 - (3 - 2)"), Value::Int(9));
    assert_eq!(val("24 / 4 / 2"), Value::Int(3));
    assert_eq!(val("2 * 3 - 4 / 2"), Value::Int(4));
    assert_eq!(val("-2 * 3"), Value::Int(-6));
    assert_eq!(val("- -2"), Value::Int(2));
    assert_eq!(val("-(1 - 3)"), Value::Int(2));
    assert_eq!(val("2 - -2"), Value::Int(4));
    // && binds tighter than ||.
    assert!(truth("true || false && false"));
    assert!(!truth("(true || false) && false"));
    assert!(truth("false and false or true"));
    // ! is below comparisons: !1 == 2 is !(1 == 2).
    assert!(truth("!1 == 2"));
    assert!(truth("not year == 2000"));
    // ...and above &&: !false && false is (!false) && false.
    assert!(!truth("!false && false"));
    assert!(truth("!!true"));
    // Comparisons bind looser than arithmetic.
    assert!(truth("1 + 1 == 2 * 1"));
    assert!(truth("template in [\"20\" + \"21\"]"));
    // `not` as a prefix of a membership test, and `not in`.
    assert!(!truth("not template in [\"2021\"]"));
    assert!(truth("template not in [\"2019\"]"));
}

#[test]
fn comparisons_do_not_chain() {
    let e = perr("1 < 2 < 3");
    assert_eq!(e.offset, 6);
    assert!(e.message.contains("chain"));
    assert_eq!(perr("a == b == c").offset, 7);
    assert_eq!(perr("a in [1] in [true]").offset, 9);
}

#[test]
fn arithmetic_types() {
    assert_eq!(val("7 / 2"), Value::Dec(3.5));
    assert_eq!(val("6 / 2"), Value::Int(3));
    assert_eq!(val("dec * 2"), Value::Dec(3.0));
    assert_eq!(val("1 + 0.5"), Value::Dec(1.5));
    assert!(truth("0.1 + 0.2 == 0.3"));
    assert!(truth("1 == 1.0000001"));
    assert!(!truth("1 == 1.00001"));
    assert!(truth(
        "1.0000001 <= 1 && 1 >= 1.0000001 && !(1 < 1.0000001)"
    ));
    match val("money + money2") {
        Value::Amount { value, unit } => {
            assert!((value - 22980.0).abs() < 1e-9);
            assert_eq!(unit, "万元");
        }
        other => panic!("{other:?}"),
    }
    assert!(truth("money + money2 == 22980"));
    assert!(matches!(val("money * 2"), Value::Amount { .. }));
    assert!(matches!(val("money / money2"), Value::Dec(_)));
    assert!(err("money + yuan").contains("万元 and 元"));
    assert!(err("money == yuan").contains("万元 and 元"));
    assert_eq!(val("\"政府\" + '信息'"), text("政府信息"));
}

#[test]
fn checked_overflow() {
    assert!(err("big + 1").contains("overflow"));
    assert!(err("small - 1").contains("overflow"));
    assert!(err("big * 2").contains("overflow"));
    assert!(err("-small").contains("overflow"));
    assert!(err("abs(small)").contains("overflow"));
    assert!(err("small / -1").contains("overflow"));
    assert!(err("sum(big, 1)").contains("overflow"));
    assert_eq!(val("big - 1 + 1"), Value::Int(i64::MAX));
    // The error names the expression it happened in.
    assert!(err("big + 1").contains("`big + 1`"));
}

#[test]
fn division_by_zero() {
    assert!(err("1 / 0").contains("division by zero"));
    assert!(err("1 / zero").contains("division by zero"));
    assert!(err("dec / 0").contains("division by zero"));
    assert!(err("1 / 0.0").contains("division by zero"));
    assert!(err("money / (zero * 1.5)").contains("division by zero"));
}

#[test]
fn type_errors() {
    assert!(err("title + 1").contains("cannot add text and an integer"));
    assert!(err("year - published").contains("cannot subtract"));
    assert!(err("year == template").contains("cannot compare an integer with text"));
    assert!(err("flag < true").contains("cannot compare a boolean"));
    assert!(err("year && true").contains("expected true or false"));
    assert!(err("!year").contains("expected true or false"));
    assert!(err("-title").contains("cannot negate text"));
    assert!(err("[1, 2] + 1").contains("list"));
    assert!(err("[1, 2] == [1, 2]").contains("list"));
    assert!(err("len(year)").contains("len() needs text"));
    assert!(err("matches(year, \"2\")").contains("matches() needs text"));
    assert!(err("year_of(year)").contains("year_of() needs a date"));
    assert!(err("sum(title)").contains("sum() adds numbers"));
    assert!(err("sum(t3.denied.*.person, template)").contains("`template`"));
    assert!(err("min(1, \"a\")").contains("cannot compare"));
    assert!(err("abs(title)").contains("abs() needs a number"));
    assert!(err("date(\"2023\", 1, 1)").contains("integers"));
    assert!(err("numbers(year, \"条\")").contains("numbers() needs text"));
    assert!(err("1 in 2").contains("`in` needs a list or text"));
    assert!(err("deadline(\"x\", 1)").contains("deadline(): expects"));
}

#[test]
fn dates() {
    assert_eq!(val("date(2024, 2, 29)"), d(2024, 2, 29));
    assert!(err("date(2023, 2, 29)").contains("no such date 2023-2-29"));
    assert!(err("date(2023, -1, 1)").contains("no such date"));
    assert!(err("date(99999999999, 1, 1)").contains("no such date"));
    assert!(truth(
        "published > date(2024, 1, 19) && published < date(2024, 1, 21)"
    ));
    assert!(truth("published == date(2024, 1, 20)"));
    assert!(truth("published <= deadline(year, agency_kind)"));
    assert!(!truth("date(2024, 2, 1) <= deadline(year, agency_kind)"));
    assert!(truth("date(2024, 2, 1) <= deadline(year, \"government\")"));
    assert_eq!(val("year_of(published)"), Value::Int(2024));
    assert_eq!(val("max(published, date(2023, 12, 31))"), d(2024, 1, 20));
    assert!(err("published < 2024").contains("cannot compare a date with an integer"));
}

#[test]
fn membership() {
    assert!(truth("template in [\"2019\", \"2021\"]"));
    assert!(!truth("template in [\"2019\"]"));
    assert!(!truth("template in []"));
    assert!(truth("year in [2022, 2023.0]"));
    assert!(truth("713 in numbers(parts, \"条\")"));
    assert!(truth("\"政府信息\" in title"));
    assert!(!truth("\"行政复议\" in title"));
    assert!(err("year in [\"2023\"]").contains("cannot compare"));
    // Elements are evaluated: a missing element makes the test not applicable.
    assert_eq!(missing("year in [nope, 2023]"), "nope");
}

#[test]
fn string_literals() {
    assert_eq!(val(r#""a\"b""#), text("a\"b"));
    assert_eq!(val(r#"'a\'b'"#), text("a'b"));
    assert_eq!(val(r#""back\\slash""#), text("back\\slash"));
    assert_eq!(val(r#""line\nbreak""#), text("line\nbreak"));
    assert_eq!(val(r#"'mixed "quotes"'"#), text("mixed \"quotes\""));
    assert_eq!(val(r#"len("\n")"#), Value::Int(1));
    // Unknown escapes stay as written, for regexes.
    assert!(truth(r#"matches(title, "\d{4}年")"#));
    assert!(!truth(r#"matches(title, "^\d")"#));
}

#[test]
fn presence_functions() {
    assert!(truth("present(year)"));
    assert!(!truth("present(nope)"));
    assert!(!truth("present(t3.blank)"));
    assert!(!truth("present(spaces)"), "whitespace-only text is blank");
    assert!(truth("blank(t3.blank)"));
    assert!(truth("blank(spaces)"));
    assert!(!truth("blank(nope)"));
    assert!(!truth("blank(year)"));
    assert_eq!(val("count(t3.denied.*.person)"), Value::Int(3));
    assert_eq!(
        val("count(t3.denied.*.person, year, nope, t3.blank)"),
        Value::Int(4)
    );
    assert_eq!(val("count(nope.*)"), Value::Int(0));
    assert!(truth("any_present(t3.denied.*.person)"));
    assert!(!truth("any_present(nope.*, t3.blank)"));
    assert!(truth("any_present(nope, year)"));
}

#[test]
fn sum_and_globs() {
    // * is exactly one segment: t3.denied.4.extra.person is not a member.
    assert_eq!(val("sum(t3.denied.*.person)"), Value::Int(7));
    assert_eq!(
        val("sum(t3.denied.*.person, t3.granted.person)"),
        Value::Int(17)
    );
    assert_eq!(val("sum(nope, t3.blank, 1)"), Value::Int(1));
    // Parts that are all blank (or all missing) add up to an unknown, not to 0.
    assert_eq!(missing("sum(nope.*)"), "nope.*");
    assert_eq!(missing("sum(nope, t3.blank)"), "nope");
    assert_eq!(missing("t3.granted.person == sum(t3.blank, nope.*)"), "t3.blank");
    assert_eq!(val("sum(t3.blank, 0)"), Value::Int(0));
    assert_eq!(val("sum([])"), Value::Int(0));
    assert_eq!(val("sum([1, 2, 3], 4)"), Value::Int(10));
    assert_eq!(val("sum(numbers(parts, \"条\"))"), Value::Int(2276));
    assert_eq!(val("sum(year - 2000, 0.5)"), Value::Dec(23.5));
    // A computed argument that needs a missing field is skipped like the field itself.
    assert_eq!(val("sum(nope + 1, 2)"), Value::Int(2));
    assert!(matches!(val("sum(money, money2)"), Value::Amount { .. }));
    // A reference starts with a name, even a glob.
    let e = perr("sum(*.person)");
    assert_eq!(e.offset, 5);
    assert!(e.message.contains("starts with a letter"), "{e}");
    assert_eq!(val("sum(t3.*.*.person)"), Value::Int(7));
}

#[test]
fn globs_only_as_direct_arguments() {
    for (src, off) in [
        ("t3.denied.*.person > 0", 0),
        ("sum(t3.denied.*.person + 1)", 4),
        ("present(t3.*)", 8),
        ("len(t3.*)", 4),
        ("[t3.*]", 1),
        ("sum(default(t3.*, 0))", 12),
        ("sum(1) + t3.*.x", 9),
    ] {
        let e = perr(src);
        assert_eq!(e.offset, off, "{src}: {e}");
        assert!(e.message.contains("glob"), "{src}: {e}");
    }
}

#[test]
fn other_builtins() {
    assert_eq!(val("len(title)"), Value::Int(23));
    assert_eq!(val("len(\"\")"), Value::Int(0));
    assert_eq!(val("len([1, 2])"), Value::Int(2));
    assert!(truth("matches(title, \"^某某市\")"));
    assert!(!truth("matches(title, \"^某某县\")"));
    assert_eq!(
        ev("numbers(parts, \"条\")"),
        Outcome::List(vec![Value::Int(713), Value::Int(1563)])
    );
    assert_eq!(
        ev("numbers(parts, \"件\")"),
        Outcome::List(vec![Value::Int(6)])
    );
    assert_eq!(ev("numbers(parts, \"份\")"), Outcome::List(vec![]));
    assert_eq!(val("min(3, 1, 2)"), Value::Int(1));
    assert_eq!(val("max(3, 1.5, 2)"), Value::Int(3));
    assert_eq!(val("max(numbers(parts, \"条\"), 6)"), Value::Int(1563));
    assert!(err("max([])").contains("no values"));
    assert_eq!(val("min(\"b\", \"a\")"), text("a"));
    assert_eq!(val("abs(-5)"), Value::Int(5));
    assert_eq!(val("abs(-1.5)"), Value::Dec(1.5));
    assert_eq!(val("default(nope, 0)"), Value::Int(0));
    assert_eq!(val("default(t3.blank, 0)"), Value::Int(0));
    assert_eq!(val("default(year, 0)"), Value::Int(2023));
    assert_eq!(val("default(nope + 1, -1)"), Value::Int(-1));
    assert!(err("default(1 / 0, 0)").contains("division by zero"));
    assert_eq!(val("deadline(2023, \"dept\")"), d(2024, 1, 31));
}

#[test]
fn numbers_extraction() {
    use super::eval::numbers;
    let ints = |t: &str, u: &str| numbers(t, u).unwrap();
    assert_eq!(
        ints("公开政务资讯713条，政府信息1563条，信息6件", "条"),
        vec![Value::Int(713), Value::Int(1563)]
    );
    assert_eq!(ints("共1,563条", "条"), vec![Value::Int(1563)]);
    assert_eq!(ints("采购22979.87万元", "万元"), vec![Value::Dec(22979.87)]);
    // The fraction of a decimal is not a number of its own.
    assert_eq!(ints("2.5条", "条"), vec![Value::Dec(2.5)]);
    assert_eq!(ints("第3.2条", "条"), vec![Value::Dec(3.2)]);
    assert_eq!(ints("12 条", "条"), vec![]);
    assert_eq!(ints("12条13条", "条"), vec![Value::Int(12), Value::Int(13)]);
    assert_eq!(
        ints("１２条", "条"),
        vec![],
        "full-width digits are left to text normalization"
    );
    assert!(numbers("99999999999999999999条", "条").is_err());
}

#[test]
fn missing_fields_make_the_expression_not_applicable() {
    assert_eq!(missing("nope > 0"), "nope");
    assert_eq!(missing("t3.blank + 1 == 2"), "t3.blank");
    assert_eq!(missing("spaces == \"\""), "spaces");
    assert_eq!(missing("len(nope) > 1"), "nope");
    assert_eq!(missing("year > 0 && nope > 0"), "nope");
    assert_eq!(missing("nope > 0 || true"), "nope");
    assert_eq!(missing("!(nope > 0)"), "nope");
    assert_eq!(missing("deadline(nope, agency_kind)"), "nope");
    assert_eq!(missing("-nope"), "nope");
    // The first missing field in evaluation order is the one reported.
    assert_eq!(missing("a + b"), "a");
}

#[test]
fn short_circuit_guards_missing_fields() {
    assert!(!truth("present(nope) && nope > 0"));
    assert!(truth("!present(nope) || nope > 0"));
    assert!(truth("!present(t3.blank) || t3.blank > 0"));
    assert!(!truth("false && 1 / 0 == 1"));
    assert!(truth("true || title + 1"));
    assert!(truth("present(year) && year > 2000"));
    assert!(truth("false or false or present(year)"));
}

#[test]
fn refs_in_source_order_with_offsets() {
    let src = "sum(t3.denied.*.person) + t3.granted.person == default(x, y) && present(part.5.body) && deadline(year, kind) > published";
    let e = Expr::parse(src, &Host).unwrap();
    let refs = e.refs();
    let names: Vec<&str> = refs.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        names,
        [
            "t3.denied.*.person",
            "t3.granted.person",
            "x",
            "y",
            "part.5.body",
            "year",
            "kind",
            "published"
        ]
    );
    for (r, off) in &refs {
        assert_eq!(&src[*off..off + r.len()], r);
    }
    // Function names and keywords are not references; duplicates are kept.
    let e = Expr::parse("(a) + a == len(\"b\") and true", &Host).unwrap();
    assert_eq!(e.refs(), vec![("a".to_string(), 1), ("a".to_string(), 6)]);
    assert_eq!(e.source(), "(a) + a == len(\"b\") and true");
}

#[test]
fn parse_errors_have_offsets() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("a # b", 2, "unexpected character"),
        ("a == （b）", 5, "full-width"),
        ("(a + b", 0, "unclosed `(`"),
        ("x + (a + (b)", 4, "unclosed `(`"),
        ("sum(a, b", 3, "unclosed `(`"),
        ("[1, 2", 0, "unclosed `[`"),
        ("(a b)", 3, "expected `)`"),
        ("a)", 1, "unmatched `)`"),
        ("a b", 2, "expected an operator"),
        ("a +", 3, "ends here"),
        ("a + * b", 4, "expected a value"),
        ("f(1)", 0, "unknown function `f`"),
        ("year + nope(1, 2)", 7, "unknown function `nope`"),
        ("deadline(1)", 0, "takes 2 arguments, 1 given"),
        ("fiscal()", 0, "1 to 3 arguments"),
        ("present(a, b)", 0, "takes 1 argument, 2 given"),
        ("sum()", 0, "at least 1 argument"),
        ("present(a + 1)", 8, "field references"),
        ("count(1)", 6, "field references"),
        ("a.b(1)", 0, "not a function name"),
        ("matches(title, \"(\")", 15, "bad regex"),
        ("matches(title, \"a{99999}{99999}\")", 15, "bad regex"),
        ("matches(title, title)", 15, "string literal"),
        ("matches(title)", 0, "2 arguments"),
        ("x = 1", 2, "=="),
        ("year == \"2023", 8, "unterminated"),
        ("1 < 2 < 3", 6, "chain"),
        ("a == not b", 5, "expected a value"),
    ];
    for (src, off, msg) in cases {
        let e = perr(src);
        assert_eq!(e.offset, *off, "offset for `{src}`: {e}");
        assert!(e.message.contains(msg), "message for `{src}`: {e}");
    }
}

#[test]
fn parse_error_line_col() {
    let src = "year ==\n  (1 + 2";
    let e = perr(src);
    assert_eq!(e.offset, src.find('(').unwrap());
    assert_eq!(e.line_col(src), (2, 3));
    let e = perr("\"年份\" == #");
    assert_eq!(e.line_col("\"年份\" == #"), (1, 9));
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let ok = format!("{}1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert_eq!(
        Expr::parse(&ok, &NoHost).unwrap().eval(&env()),
        Outcome::Value(Value::Int(1))
    );
    for src in [
        format!(
            "{}1{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        ),
        "(".repeat(5000),
        "[".repeat(5000),
        "!".repeat(5000) + "true",
        "-".repeat(5000) + "1",
        "abs(".repeat(2000),
    ] {
        let e = perr(&src);
        assert!(e.message.contains("nests deeper"), "{e}");
    }
    // Nesting right up to the limit, through every construct, evaluates without exhausting the
    // stack; one more layer is refused.
    let mut src = "year".to_string();
    for i in 0.. {
        let next = match i % 4 {
            0 => format!("abs(-({src}))"),
            1 => format!("sum([{src}], default(nope, 0))"),
            2 => format!("max(-{src}, 0)"),
            _ => format!("min(({src}), big)"),
        };
        match Expr::parse(&next, &Host) {
            Ok(_) => src = next,
            Err(e) => {
                assert!(e.message.contains("nests deeper"), "{e}");
                assert!(i > 20, "only {i} layers accepted");
                break;
            }
        }
    }
    assert!(matches!(ev(&src), Outcome::Value(Value::Int(_))), "{src}");
    // Long flat chains are not nesting.
    let chain = vec!["1"; 3000].join("+");
    assert_eq!(val(&chain), Value::Int(3000));
    let chain = vec!["true"; 1000].join("&&");
    assert!(truth(&chain));
}

#[test]
fn over_long_source_is_rejected() {
    let src = vec!["1"; 6000].join("+");
    let e = perr(&src);
    assert_eq!(e.offset, 0);
    assert!(e.message.contains("limit"));
}

#[test]
fn glob_matching() {
    assert!(glob_matches("t3.*.total", "t3.new.total"));
    assert!(!glob_matches("t3.*.total", "t3.new.x.total"));
    assert!(!glob_matches("t3.*", "t3"));
    assert!(glob_matches("a.b", "a.b"));
    assert!(glob_matches("*.*", "a.b"));
    assert!(!glob_matches("*.*", "a.b.c"));
}

/// Deterministic pseudo-random numbers (Knuth's MMIX LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_input_never_panics() {
    let mut rng = Lcg(0x5eed);
    let env = env();
    // Raw bytes, decoded lossily.
    for _ in 0..3000 {
        let len = rng.below(40);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let src = String::from_utf8_lossy(&bytes);
        if let Ok(e) = Expr::parse(&src, &Host) {
            let _ = e.eval(&env);
        }
        let _ = Template::parse(&src, &Host).map(|t| t.render(&env));
    }
    // Soup of real tokens, which reaches far deeper into the parser and evaluator.
    let pieces = [
        "(",
        ")",
        "[",
        "]",
        ",",
        "+",
        "-",
        "*",
        "/",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "&&",
        "||",
        "!",
        " and ",
        " or ",
        " not ",
        " in ",
        "true",
        "false",
        "0",
        "1",
        "2.5",
        "9223372036854775807",
        "\"条\"",
        "'x'",
        "\"\\d+\"",
        "year",
        "big",
        "small",
        "zero",
        "dec",
        "money",
        "yuan",
        "title",
        "parts",
        "published",
        "nope",
        "t3.blank",
        "t3.denied.*.person",
        "t3.*",
        "sum(",
        "count(",
        "any_present(",
        "present(",
        "blank(",
        "len(",
        "matches(",
        "numbers(",
        "date(",
        "year_of(",
        "min(",
        "max(",
        "abs(",
        "default(",
        "deadline(",
        "fiscal(",
        "{",
        "}",
        "{{",
        "\"",
        "\\",
        "年",
    ];
    let mut parsed = 0;
    for _ in 0..20000 {
        let n = 1 + rng.below(14);
        let src: String = (0..n)
            .map(|_| pieces[rng.below(pieces.len())])
            .collect::<Vec<_>>()
            .join(" ");
        if let Ok(e) = Expr::parse(&src, &Host) {
            parsed += 1;
            let _ = e.eval(&env);
            for (r, off) in e.refs() {
                assert_eq!(src.get(off..off + r.len()), Some(r.as_str()));
            }
        }
        if let Ok(t) = Template::parse(&src, &Host) {
            let _ = t.render(&env);
        }
        if let Err(e) = Expr::parse(&src, &Host) {
            assert!(
                src.is_char_boundary(e.offset) && e.offset <= src.len(),
                "{src:?} {e}"
            );
        }
    }
    assert!(
        parsed > 100,
        "the soup should produce some valid expressions, got {parsed}"
    );
}

#[test]
fn parsed_expressions_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Expr>();
    assert_send_sync::<Template>();
}
