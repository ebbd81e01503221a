//! The letter's wording: a plain-text file of named sections with `{placeholders}`, kept beside
//! the rules (`rules/letter/opinion.txt`), compiled in, and overridable with `--rules DIR`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where the template lives inside a rule folder.
pub const TEMPLATE_FILE: &str = "letter/opinion.txt";

const BUILTIN: &str = include_str!("../../rules/letter/opinion.txt");

/// Every section and the placeholders it may use (the agency, year and report count are known
/// everywhere).
const SECTIONS: &[(&str, &[&str])] = &[
    ("title", &[]),
    ("salutation", &[]),
    ("intro", &[]),
    ("report", &["title", "published", "path", "id"]),
    ("findings_heading", &[]),
    ("finding", &["n", "message", "rule", "severity", "line"]),
    ("quote", &["line", "quote"]),
    ("note", &["note", "reviewer", "ts"]),
    ("corrections_heading", &[]),
    ("correction", &["n", "label", "field", "old", "new", "reason", "reviewer", "ts"]),
    ("open_heading", &[]),
    ("open", &["n", "message", "severity", "rule", "line"]),
    ("conflict", &["n", "subject", "sides"]),
    ("closing", &["confirmed", "corrections", "open"]),
    ("none", &["confirmed", "corrections", "open"]),
    ("signature", &["office", "date"]),
];
const EVERYWHERE: &[&str] = &["agency", "year", "reports"];

/// A mistake in a template, as `path:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

/// The wording, section by section.
#[derive(Debug, Clone)]
pub struct Template {
    sections: BTreeMap<String, String>,
}

impl Template {
    pub fn builtin() -> Template {
        match Template::parse("rules/letter/opinion.txt", BUILTIN) {
            Ok(t) => t,
            // Tested in CI; reaching this is a build defect, not bad input.
            Err(e) => panic!("built-in letter template is broken: {}", e[0]),
        }
    }

    /// `DIR/letter/opinion.txt` when the rule folder has one, else the built-in wording.
    /// Sections the file leaves out keep the built-in wording.
    pub fn load(rules_dir: Option<&Path>) -> Result<Template, Vec<TemplateError>> {
        let mut t = Template::builtin();
        let Some(dir) = rules_dir else { return Ok(t) };
        let path: PathBuf = dir.join(TEMPLATE_FILE);
        if !path.exists() {
            return Ok(t);
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| vec![TemplateError { path: path.display().to_string(), line: 1, message: format!("cannot read: {e}") }])?;
        let own = Template::parse(&path.display().to_string(), &text)?;
        t.sections.extend(own.sections);
        Ok(t)
    }

    /// Parses sections (`[name]` lines), skipping `#` comment lines; every placeholder must be
    /// one the section knows.
    pub fn parse(path: &str, text: &str) -> Result<Template, Vec<TemplateError>> {
        let mut sections: BTreeMap<String, (usize, Vec<&str>)> = BTreeMap::new();
        let mut errors = Vec::new();
        let mut current: Option<String> = None;
        // Under an unknown section: its text is not reported again.
        let mut unknown = false;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim_end();
            if line.trim_start().starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let name = name.trim();
                if SECTIONS.iter().all(|(s, _)| *s != name) {
                    let known: Vec<&str> = SECTIONS.iter().map(|(s, _)| *s).collect();
                    errors.push(TemplateError { path: path.into(), line: line_no, message: format!("unknown section [{name}]; sections are {}", known.join(", ")) });
                    current = None;
                    unknown = true;
                    continue;
                }
                if sections.contains_key(name) {
                    errors.push(TemplateError { path: path.into(), line: line_no, message: format!("section [{name}] appears twice") });
                }
                sections.insert(name.to_string(), (line_no, Vec::new()));
                current = Some(name.to_string());
                unknown = false;
                continue;
            }
            match &current {
                Some(name) => {
                    if let Some((_, lines)) = sections.get_mut(name) {
                        lines.push(line);
                    }
                    let allowed = SECTIONS.iter().find(|(s, _)| s == name).map(|(_, a)| *a).unwrap_or(&[]);
                    for p in placeholders(line) {
                        if !allowed.contains(&p.as_str()) && !EVERYWHERE.contains(&p.as_str()) {
                            let mut names: Vec<&str> = EVERYWHERE.to_vec();
                            names.extend_from_slice(allowed);
                            errors.push(TemplateError {
                                path: path.into(),
                                line: line_no,
                                message: format!("[{name}] has no {{{p}}}; it may use {}", names.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(" ")),
                            });
                        }
                    }
                }
                None if !unknown && !line.trim().is_empty() => errors.push(TemplateError {
                    path: path.into(),
                    line: line_no,
                    message: "text outside a section (start one with a line like [title])".into(),
                }),
                None => {}
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let sections = sections
            .into_iter()
            .map(|(k, (_, lines))| {
                let text = lines.join("\n");
                (k, text.trim_matches('\n').to_string())
            })
            .collect();
        Ok(Template { sections })
    }

    /// The section with its placeholders filled; an unknown section is empty.
    pub fn fill(&self, section: &str, vars: &[(String, String)]) -> String {
        let Some(text) = self.sections.get(section) else { return String::new() };
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    let name = &after[..close];
                    match vars.iter().find(|(k, _)| k == name) {
                        Some((_, v)) => out.push_str(v),
                        None => out.push_str(&rest[open..open + close + 2]),
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// `{name}` occurrences in a line (names of letters, digits and `_`).
fn placeholders(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push(name.to_string());
                }
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn builtin_parses_and_fills() {
        let t = Template::builtin();
        let title = t.fill("title", &v(&[("agency", "平潭综合实验区"), ("year", "2021")]));
        assert_eq!(title, "关于平潭综合实验区2021年政府信息公开工作年度报告的审核意见");
        assert!(t.fill("signature", &v(&[("office", "政务公开办"), ("date", "2026年1月2日")])).contains("政务公开办\n2026年1月2日"));
    }

    #[test]
    fn mistakes_are_named_by_line() {
        let text = "# c\n[title]\n{agency}{nope}\n[finding]\n{message}\n[bogus]\nx\n";
        let e = Template::parse("t.txt", text).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!((e[0].line, e[1].line), (3, 6));
        assert!(e[0].to_string().starts_with("t.txt:3: [title] has no {nope}"), "{}", e[0]);
    }

    #[test]
    fn a_rule_folder_overrides_some_sections() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("letter")).unwrap();
        std::fs::write(d.path().join(TEMPLATE_FILE), "[title]\n{agency}审核意见书\n").unwrap();
        let t = Template::load(Some(d.path())).unwrap();
        assert_eq!(t.fill("title", &v(&[("agency", "某局")])), "某局审核意见书");
        assert!(!t.fill("findings_heading", &[]).is_empty(), "other sections keep the built-in wording");
        // Braces that are not placeholders stay as written.
        assert_eq!(t.fill("title", &v(&[])), "{agency}审核意见书");
    }
}
