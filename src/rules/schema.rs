//! The YAML shape of a rule file, as a reviewer writes it. Unknown keys are errors.
//!
//! Every rule file is a mapping with any of the keys `fields`, `sections`, `tables`, `deadlines`,
//! `checks`. `compile.rs` turns these into the engine's compiled rules and reports mistakes as
//! `path:line:col: message`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

pub type S = Spanned<String>;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub fields: Vec<Spanned<FieldDef>>,
    #[serde(default)]
    pub sections: Vec<Spanned<SectionDef>>,
    #[serde(default)]
    pub tables: Vec<Spanned<TableDef>>,
    #[serde(default)]
    pub deadlines: Vec<Spanned<DeadlineDef>>,
    #[serde(default)]
    pub checks: Vec<Spanned<CheckDef>>,
    /// The words the narrative uses: concepts and their phrases, list words, scopes, set
    /// statements and heading variants (`lexicon.yaml`, read by the claims stage).
    #[serde(default)]
    pub lexicon: Option<Spanned<LexiconDef>>,
}

/// The narrative's vocabulary. Phrases are literal text unless the key says regex.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LexiconDef {
    /// Measure words a stated figure may carry, e.g. 条 件 次 篇 个 人次 万元 元 %.
    #[serde(default)]
    pub units: Vec<String>,
    /// Words after a whole that open its list of parts (其中, 包括, 分别为, "（" …).
    #[serde(default)]
    pub openers: Vec<Spanned<OpenerDef>>,
    /// Words right before a total that follows its parts (合计, 共计, 总计).
    #[serde(default)]
    pub totals: Vec<String>,
    /// A last part whose label starts with one of these closes the list (其他, 其余).
    #[serde(default)]
    pub closing: Vec<String>,
    /// A list followed by one of these is not complete (等).
    #[serde(default)]
    pub open_ends: Vec<String>,
    /// Words right before a percentage that make it a share of a base (占, 占比).
    #[serde(default)]
    pub share: Vec<String>,
    /// Regexes for text whose figures are not claims (table captions such as "计1条").
    #[serde(default)]
    pub ignore: Vec<S>,
    /// Words naming the whole agency (本机关, 全区): they never narrow a figure's scope.
    #[serde(default)]
    pub whole_scope: Vec<String>,
    /// Words that narrow a figure to a unit, a channel or a period.
    #[serde(default)]
    pub scopes: Vec<Spanned<ScopeDef>>,
    #[serde(default)]
    pub concepts: Vec<Spanned<ConceptDef>>,
    /// Set statements ("均获维持", "未收取信息处理费") read as `narr.says.<id>`.
    #[serde(default)]
    pub statements: Vec<Spanned<StatementDef>>,
    /// More wordings of a part's heading: section id → heading texts (without the number).
    #[serde(default)]
    pub headings: BTreeMap<String, Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenerDef {
    pub phrase: String,
    /// The list these words open names every part (分别为).
    #[serde(default)]
    pub closed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeDef {
    /// unit | channel | period
    pub kind: S,
    pub phrases: Vec<String>,
}

/// What a stated figure counts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConceptDef {
    pub id: S,
    pub label: String,
    /// Units it is counted in (default: any).
    #[serde(default)]
    pub units: Vec<String>,
    /// Regexes that name it before (or just after) the figure.
    pub phrases: Vec<S>,
    /// A rate in percent (办结率), not a count.
    #[serde(default)]
    pub rate: bool,
    /// Naming it starts a new statement, never a part of another concept's list (办结, 结转).
    #[serde(default)]
    pub breaks: bool,
    /// Only a listed part of a whole of this concept ("行政复议N件，其中结果维持a件" → review.upheld).
    #[serde(default)]
    pub part_of: Option<S>,
    /// The table field (an expression over fields) it equals, per template: `2021`, `2019`,
    /// `legacy`, `legacy_national`, `legacy_fujian`; `alt` a second accepted meaning.
    #[serde(default)]
    pub fields: BTreeMap<String, S>,
    #[serde(default)]
    pub alt: BTreeMap<String, S>,
}

/// A statement reports make in set words.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementDef {
    pub id: S,
    pub label: String,
    /// Regexes of its wordings.
    pub patterns: Vec<S>,
    /// Only in a sentence that also names one of these (e.g. 行政复议).
    #[serde(default)]
    pub near: Vec<String>,
    /// Not in a sentence that names one of these.
    #[serde(default)]
    pub unless: Vec<String>,
}

/// A field read from the report text by patterns, or taken from other fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub id: S,
    pub label: String,
    #[serde(rename = "type")]
    pub ty: S,
    /// Tried in order; the first that yields a value wins.
    #[serde(default)]
    pub find: Vec<Spanned<FinderDef>>,
    /// Shorthand: the first of these fields that is present.
    #[serde(default)]
    pub from: Vec<S>,
    /// Value when nothing is found (e.g. `none` for the template).
    #[serde(default)]
    pub default: Option<String>,
    /// Internal fields (section bodies…) are used by checks but not listed to the reviewer.
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinderDef {
    /// Where to look: text | head | tail | part.N | field:ID (default text).
    #[serde(default, rename = "in")]
    pub scope: Option<S>,
    pub pattern: S,
    /// The value to take: a constant, or a template of named groups like "{agency}{rest}".
    /// Default: the group `value`, else the whole match.
    #[serde(default)]
    pub value: Option<S>,
    /// Take the last match instead of the first.
    #[serde(default)]
    pub last: bool,
}

/// One numbered part of a report, found by its heading.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionDef {
    pub id: S,
    pub label: String,
    pub heading: S,
}

/// A table layout: a region of the text, its columns and its rows, and the identities its
/// numbers obey (which are also what settles a digit run flattened without separators).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDef {
    pub id: S,
    pub label: String,
    /// Field ids are `<prefix>.<row>.<column>` (empty parts left out); default: the id.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Expression over fields already found (e.g. the template) deciding if this layout applies.
    #[serde(default)]
    pub when: Option<S>,
    /// Where the table starts and (optionally) ends: regexes.
    pub start: S,
    #[serde(default)]
    pub end: Option<S>,
    /// Cell kind for every column unless the column says otherwise: count | signed | decimal | amount.
    #[serde(default)]
    pub kind: Option<S>,
    pub columns: Vec<Spanned<ColumnDef>>,
    pub rows: Vec<Spanned<RowDef>>,
    /// Within every row: the `parts` columns add up to the `total` column.
    #[serde(default)]
    pub row_sums: Vec<Spanned<RowSumDef>>,
    /// Within every row: column `a` is at least column `b` (e.g. 历年累计 ≥ 本年度).
    #[serde(default)]
    pub at_least: Vec<Spanned<(String, String)>>,
    /// Between rows, column by column: the rows in `lhs` add up to the rows in `rhs`. Row ids may
    /// end in `.*` for every numbered sub-row.
    #[serde(default)]
    pub balances: Vec<Spanned<BalanceDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDef {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub kind: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowDef {
    /// Row id; may be empty for a table with a single row.
    pub id: String,
    pub label: String,
    /// Text of the row label as printed (matched loosely: spacing and punctuation width ignored).
    /// Default: the label.
    #[serde(rename = "match", default)]
    pub match_text: Option<S>,
    /// A regex instead of `match`, for labels that need one.
    #[serde(default)]
    pub pattern: Option<S>,
    /// Figures stated elsewhere that settle a split the identities leave open: column id →
    /// field id (e.g. `'': narr.active.total`). A split settled this way says so.
    #[serde(default)]
    pub hints: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowSumDef {
    pub parts: Vec<String>,
    pub total: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceDef {
    pub lhs: Vec<String>,
    pub rhs: Vec<String>,
}

/// A publication deadline: reports for `years` (inclusive range) by agencies of `kind`
/// (government | department | any) are due on month-day `due` of the following year.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineDef {
    pub years: (i32, i32),
    pub kind: String,
    pub due: String,
}

/// A check: an assertion over fields, or a text pattern.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDef {
    pub id: S,
    /// error | warning | info | off
    pub severity: S,
    pub message: S,
    #[serde(default)]
    pub description: Option<String>,
    /// Run the check once per binding: `{col: [person, total]}`, `{col: table:t3}`, or a list of
    /// mappings. `{col}` / `{col.label}` in the other keys are replaced before they are read.
    #[serde(default)]
    pub each: BTreeMap<String, Spanned<EachDef>>,
    /// Precondition: the check applies only when this is true.
    #[serde(default)]
    pub when: Option<S>,
    /// The assertion; a finding is raised when it is false.
    #[serde(default)]
    pub assert: Option<S>,
    /// A text pattern: a finding per match (or, with `absent: true`, when nothing matches).
    #[serde(default)]
    pub pattern: Option<S>,
    /// Where the pattern looks: text | head | tail | title | part.N (default text).
    #[serde(default, rename = "in")]
    pub scope: Option<S>,
    #[serde(default)]
    pub absent: bool,
    /// A word or phrase written twice in a row ("资金资金"), which a regex cannot see (no
    /// backreferences): see `check::text_quality`.
    #[serde(default)]
    pub repeat: Option<Spanned<RepeatDef>>,
    /// Top-level part numbering (一、二、…) that goes back, e.g. a second 一、 after 六、.
    #[serde(default)]
    pub numbering: Option<Spanned<NumberingDef>>,
    /// Run once per claim of a kind (`wholes`: a stated whole with its listed parts; `shares`:
    /// "占X%" of a whole): the assertion reads the claim's values as locals.
    #[serde(default)]
    pub claims: Option<S>,
    /// Fire once per field in this state: `ambiguous` or `blank` (with `fields` globs to narrow).
    #[serde(default)]
    pub status: Option<S>,
    #[serde(default)]
    pub fields: Vec<String>,
    /// With `status`: one finding per `field` (default), per table `row`, or per `table`.
    #[serde(default)]
    pub per: Option<S>,
    /// When this check fires, the report's other check findings are left out.
    #[serde(default)]
    pub alone: bool,
    /// The assertion is an identity the report must satisfy: it also settles ambiguous cells
    /// (readings under which it fails are dropped when some reading satisfies it).
    #[serde(default)]
    pub settles: bool,
    /// At most this many findings per report from one pattern (default 20).
    #[serde(default)]
    pub max: Option<usize>,
    #[serde(default)]
    pub examples: Option<Spanned<ExamplesDef>>,
}

/// `repeat:` — a unit of `min`..=`max` characters followed by itself. `allow` is a regex over
/// the doubled text for legitimate doublings (研究研究, 一步一步) and flattened table headers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatDef {
    pub min: usize,
    pub max: usize,
    #[serde(default)]
    pub allow: Option<S>,
}

/// `numbering:` — `heading` finds top-level part headings and has a group `num` (一…十);
/// headings whose `title` group matches `skip` (table row labels such as 一、本年新收…) are not parts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberingDef {
    pub heading: S,
    #[serde(default)]
    pub skip: Option<S>,
    /// With this (a regex with a group `n`, e.g. 共(?P<n>九)个部分), the check compares the number
    /// of parts the report says it has with the numbered parts it has, instead of their order.
    #[serde(default)]
    pub stated: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum EachDef {
    /// `table:t3` (its columns) or `fields:t3.*.total` style selectors.
    Selector(String),
    Ids(Vec<EachItem>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum EachItem {
    Id(String),
    Map(BTreeMap<String, String>),
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExamplesDef {
    /// Inputs on which the check must fire.
    #[serde(default)]
    pub fire: Vec<Spanned<ExampleDef>>,
    /// Inputs on which it must not.
    #[serde(default)]
    pub pass: Vec<Spanned<ExampleDef>>,
}

/// A report text (run through the whole pipeline), or field values (checks only).
/// In `fields`, a list value means an ambiguous field with those candidates; `~` a blank cell.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleDef {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub fields: Option<BTreeMap<String, Option<ExampleValue>>>,
    /// A second report: the previous year's, for cross-year checks.
    #[serde(default)]
    pub prev: Option<BTreeMap<String, Option<ExampleValue>>>,
    #[serde(default)]
    pub note: Option<String>,
    /// For a `fire` example: the severity the finding must have (error | warning | info), e.g. to
    /// show that a failure under every reading is an error and under some only a warning.
    #[serde(default)]
    pub severity: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum ExampleValue {
    Int(i64),
    Float(f64),
    Text(String),
    Candidates(Vec<Option<ExampleScalar>>),
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum ExampleScalar {
    Int(i64),
    Float(f64),
    Text(String),
}
