//! Linking reports across a batch: the same agency's reports ordered by year, so a check can
//! compare a report with last year's (`prev.` fields), and two versions of one report (same
//! agency and year, different content) can be told apart.
//!
//! The grouping key is the field `agency.key`, which the rule pack derives from the agency's name
//! (so "平潭综合实验区" and "平潭综合实验区管委会" are one agency, and a department is never its
//! government). A reviewer who corrects `agency` moves the report to another group.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use crate::model::{Field, Fields, Status, Value};
use crate::rules::{CheckBody, RuleSet, glob_match};

/// Field holding the normalised agency name that groups reports.
pub const GROUP_FIELD: &str = "agency.key";

/// Last year's report of the same agency, as cross-year checks see it.
#[derive(Debug, Clone, PartialEq)]
pub struct PrevReport {
    pub path: PathBuf,
    pub id: String,
    pub year: i64,
    /// Only the fields that `prev.` references in the rules read (plus year and template).
    pub fields: Fields,
}

/// What the rest of the batch says about one report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchContext {
    pub group: Option<String>,
    pub prev: Option<PrevReport>,
    /// Next year's report of the same agency: its cross-year identities read this report as
    /// `prev.`, so its figures can settle this report's digit runs.
    pub next: Option<PrevReport>,
    /// Other loaded reports of the same agency and year with different content (the first
    /// `MAX_LISTED` by path; `duplicate_count` has them all).
    pub duplicates: Vec<PathBuf>,
    pub duplicate_count: usize,
}

/// Other versions named in a report's context; a batch of near-copies would otherwise make
/// every context as long as the batch.
pub const MAX_LISTED: usize = 20;

impl BatchContext {
    /// The batch's facts as fields the rules can read: `batch.duplicates`, `batch.duplicate_paths`,
    /// `prev.year` is read through `prev.` itself.
    pub fn add_fields(&self, fields: &mut Fields) {
        let n = self.duplicate_count as i64;
        let mut f = Field::exact("batch.duplicates", "同年度其他版本数", Some(Value::Int(n)), "", None);
        f.note = Some("同一机关同一年度、内容不同的其他已载入报告".into());
        fields.insert(f.id.clone(), f);
        if !self.duplicates.is_empty() {
            let mut list: Vec<String> = self.duplicates.iter().map(|p| p.display().to_string()).collect();
            if self.duplicate_count > list.len() {
                list.push(format!("等共 {} 份", self.duplicate_count));
            }
            let f = Field::exact("batch.duplicate_paths", "同年度其他版本", Some(Value::Text(list.join("、"))), "", None);
            fields.insert(f.id.clone(), f);
        }
    }
}

/// What phase one of a batch audit keeps of each report: its link key and the fields other
/// reports' cross-year checks may read.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkInfo {
    pub path: PathBuf,
    pub id: String,
    pub key: Option<(String, i64)>,
    pub fields: Vec<KeptField>,
}

/// A field as another report's checks read it: value and status (and, when ambiguous, its
/// candidates), not its text, span or notes. A whole `Field` is ten times the size, and a batch
/// keeps one set of these per linked report.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptField {
    pub id: String,
    pub value: Option<Value>,
    pub status: Status,
    pub candidates: Vec<crate::model::Candidate>,
}

/// The field ids (and globs) other reports read of this one: what `prev.` references read, over
/// every check of the pack, and what a settling check that reads `prev.` reads of its own year
/// (next year's figures that settle this report).
pub fn prev_refs(rules: &RuleSet) -> Vec<String> {
    let mut out: BTreeSet<String> = ["year", "template"].iter().map(|s| s.to_string()).collect();
    for c in &rules.checks {
        for i in &c.instances {
            let mut refs = i.message.refs();
            if let Some(w) = &i.when {
                refs.extend(w.refs());
            }
            match &i.body {
                CheckBody::Assert(e) => refs.extend(e.refs()),
                CheckBody::Pattern { assert: Some(e), .. } => refs.extend(e.refs()),
                _ => {}
            }
            let cross = refs.iter().any(|(r, _)| r.starts_with("prev."));
            for (r, _) in refs {
                if let Some(rest) = r.strip_prefix("prev.") {
                    out.insert(rest.to_string());
                } else if cross && c.settles {
                    out.insert(r);
                }
            }
        }
    }
    out.into_iter().collect()
}

fn exact_value(fields: &Fields, id: &str) -> Option<Value> {
    let f = fields.get(id)?;
    (f.status != Status::Ambiguous).then(|| f.value.clone()).flatten()
}

/// The link key of a report's fields: its agency group and year, when both are certain.
pub fn link_key(fields: &Fields) -> Option<(String, i64)> {
    match (exact_value(fields, GROUP_FIELD), exact_value(fields, "year")) {
        (Some(Value::Text(a)), Some(Value::Int(y))) if !a.is_empty() => Some((a, y)),
        _ => None,
    }
}

/// The fields of `fields` that `wanted` (ids and globs, see [`prev_refs`]) names.
pub fn kept_fields(fields: &Fields, wanted: &[String]) -> Vec<KeptField> {
    fields
        .iter()
        .filter(|(k, _)| wanted.iter().any(|w| if w.contains('*') { glob_match(w, k) } else { w == *k }))
        .map(|(k, v)| KeptField {
            id: k.clone(),
            value: v.value.clone(),
            status: v.status,
            candidates: if v.status == Status::Ambiguous { v.candidates.clone() } else { Vec::new() },
        })
        .collect()
}

impl LinkInfo {
    pub fn new(path: PathBuf, id: String, fields: &Fields, wanted: &[String]) -> LinkInfo {
        LinkInfo { path, id, key: link_key(fields), fields: kept_fields(fields, wanted) }
    }

    /// The kept fields as the checks read them (`prev.` of another report).
    pub fn fields(&self) -> Fields {
        self.fields
            .iter()
            .map(|k| {
                let mut f = Field::exact(&k.id, "", k.value.clone(), "", None);
                f.status = k.status;
                f.candidates = k.candidates.clone();
                (k.id.clone(), f)
            })
            .collect()
    }
}

/// The reports of one agency and year.
#[derive(Debug, Default)]
struct Group {
    /// In batch order.
    members: Vec<usize>,
    /// The first by path: the version another year's report reads.
    first: usize,
    /// The members that can be listed as another version of some member: the first
    /// `2 * MAX_LISTED` of the members that are among their content id's first `MAX_LISTED`
    /// occurrences. The first `MAX_LISTED` members with an id other than X are always among
    /// them, whatever X (X fills at most `MAX_LISTED` of the places), so listing never walks
    /// the whole group.
    listed: Vec<usize>,
}

/// The batch's reports indexed by (agency, year).
#[derive(Debug, Default)]
pub struct Links {
    infos: Vec<Option<LinkInfo>>,
    index: HashMap<(String, i64), Group>,
    /// Per report: the members of its group with its content id, itself included.
    same_id: Vec<usize>,
}

impl Links {
    pub fn new(infos: Vec<Option<LinkInfo>>) -> Links {
        let mut l = Links { infos, index: HashMap::new(), same_id: Vec::new() };
        l.reindex(None);
        l
    }

    /// A batch's links, with each report's path taken from `paths` (index for index) instead
    /// of its info: only the paths a context names (each group's first version and the versions
    /// it can list) are copied into the infos, so the table holds no path per report. Such
    /// links are not `update`d.
    pub fn for_batch(infos: Vec<Option<LinkInfo>>, paths: &[PathBuf]) -> Links {
        let mut l = Links { infos, index: HashMap::new(), same_id: Vec::new() };
        l.reindex(Some(paths));
        for g in l.index.values() {
            for &j in g.listed.iter().chain([&g.first]) {
                if let Some(info) = &mut l.infos[j] {
                    info.path = paths[j].clone();
                }
            }
        }
        l
    }

    /// Builds the index; a report's path is its info's, or `paths[i]` when given.
    fn reindex(&mut self, paths: Option<&[PathBuf]>) {
        self.index.clear();
        for (i, info) in self.infos.iter().enumerate() {
            if let Some(k) = info.as_ref().and_then(|x| x.key.clone()) {
                self.index.entry(k).or_default().members.push(i);
            }
        }
        self.same_id = vec![0; self.infos.len()];
        let infos = &self.infos;
        let info = |j: usize| infos[j].as_ref().expect("indexed reports have link info");
        let path = |j: usize| paths.map_or(info(j).path.as_path(), |p| p[j].as_path());
        for g in self.index.values_mut() {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            g.first = g.members[0];
            g.listed.clear();
            for &j in &g.members {
                if path(j) < path(g.first) {
                    g.first = j;
                }
                let n = seen.entry(info(j).id.as_str()).or_default();
                *n += 1;
                if *n <= MAX_LISTED && g.listed.len() < 2 * MAX_LISTED {
                    g.listed.push(j);
                }
            }
            for &j in &g.members {
                self.same_id[j] = seen[info(j).id.as_str()];
            }
            g.members.shrink_to_fit();
        }
    }

    pub fn len(&self) -> usize {
        self.infos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    pub fn info(&self, i: usize) -> Option<&LinkInfo> {
        self.infos.get(i).and_then(|x| x.as_ref())
    }

    /// Replace one report's link info (after a correction); returns the reports whose context
    /// may have changed (its old and new neighbours, itself included).
    pub fn update(&mut self, i: usize, info: LinkInfo) -> Vec<usize> {
        let mut touched = self.neighbours(i);
        if i < self.infos.len() {
            self.infos[i] = Some(info);
        }
        self.reindex(None);
        touched.extend(self.neighbours(i));
        touched.sort_unstable();
        touched.dedup();
        touched
    }

    /// The reports whose kept fields another report reads: of each agency and year that has
    /// a last or next year in the batch, the version read (the first by path).
    pub fn read_by_others(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .index
            .iter()
            .filter(|((a, y), _)| [y - 1, y + 1].iter().any(|o| self.index.contains_key(&(a.clone(), *o))))
            .map(|(_, g)| g.first)
            .collect();
        out.sort_unstable();
        out
    }

    /// Set the kept fields of one report (phase one fills in only the reports others read).
    pub fn set_fields(&mut self, i: usize, fields: Vec<KeptField>) {
        if let Some(Some(info)) = self.infos.get_mut(i) {
            info.fields = fields;
        }
    }

    /// Drop the kept fields no other report reads.
    pub fn forget_unread_fields(&mut self) {
        let read = self.read_by_others();
        for (i, info) in self.infos.iter_mut().enumerate() {
            if let Some(info) = info
                && read.binary_search(&i).is_err()
            {
                info.fields = Vec::new();
            }
        }
    }

    /// Reports of the same agency in this year, the next (whose `prev` this one may be) and the
    /// last (whose `next` this one may be).
    fn neighbours(&self, i: usize) -> Vec<usize> {
        let mut out = vec![i];
        if let Some((a, y)) = self.infos.get(i).and_then(|x| x.as_ref()).and_then(|x| x.key.clone()) {
            for year in [y - 1, y, y + 1] {
                if let Some(g) = self.index.get(&(a.clone(), year)) {
                    out.extend(&g.members);
                }
            }
        }
        out
    }

    pub fn context(&self, i: usize) -> BatchContext {
        let Some(Some(me)) = self.infos.get(i) else { return BatchContext::default() };
        let Some((agency, year)) = me.key.clone() else { return BatchContext::default() };
        let (duplicate_count, duplicates) = match self.index.get(&(agency.clone(), year)) {
            // Every member but those with this report's content (itself among them).
            Some(g) => (
                g.members.len() - self.same_id[i],
                g.listed
                    .iter()
                    .filter_map(|j| self.infos[*j].as_ref())
                    .filter(|o| o.id != me.id)
                    .take(MAX_LISTED)
                    .map(|o| o.path.clone())
                    .collect(),
            ),
            None => (0, Vec::new()),
        };
        // Last year's report: when several versions were loaded, the first by path is used and
        // the duplicate check flags them on their own side.
        let other = |y: i64| {
            self.index.get(&(agency.clone(), y)).and_then(|g| {
                let o = self.infos[g.first].as_ref()?;
                Some(PrevReport { path: o.path.clone(), id: o.id.clone(), year: y, fields: o.fields() })
            })
        };
        let (prev, next) = (other(year - 1), other(year + 1));
        BatchContext { group: Some(agency), prev, next, duplicates, duplicate_count }
    }

    /// Every report index of the batch grouped by agency, each group ordered by year.
    pub fn groups(&self) -> Vec<(String, Vec<(i64, usize)>)> {
        let mut by: HashMap<String, Vec<(i64, usize)>> = HashMap::new();
        for ((a, y), g) in &self.index {
            for i in &g.members {
                by.entry(a.clone()).or_default().push((*y, *i));
            }
        }
        let mut out: Vec<_> = by.into_iter().collect();
        for (_, v) in &mut out {
            v.sort();
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(path: &str, id: &str, agency: &str, year: i64) -> Option<LinkInfo> {
        let mut f = Fields::new();
        f.insert(GROUP_FIELD.into(), Field::exact(GROUP_FIELD, "机关", Some(Value::Text(agency.into())), "", None));
        f.insert("year".into(), Field::exact("year", "年度", Some(Value::Int(year)), "", None));
        f.insert("t3.carry_next.total".into(), Field::exact("t3.carry_next.total", "结转", Some(Value::Int(1)), "", None));
        Some(LinkInfo::new(PathBuf::from(path), id.into(), &f, &["year".into(), "t3.carry_next.*".into()]))
    }

    #[test]
    fn previous_year_and_duplicates_are_found_by_agency_and_year() {
        let links = Links::new(vec![
            info("a2021.txt", "1", "平潭综合实验区", 2021),
            info("a2022.txt", "2", "平潭综合实验区", 2022),
            info("a2022-copy.txt", "3", "平潭综合实验区", 2022),
            info("b2021.txt", "4", "平潭综合实验区管委会办公室", 2021),
            None,
        ]);
        let c = links.context(1);
        let prev = c.prev.expect("2021 is 2022's previous year");
        assert_eq!(prev.path, PathBuf::from("a2021.txt"));
        assert!(prev.fields.contains_key("t3.carry_next.total"));
        assert_eq!(c.duplicates, vec![PathBuf::from("a2022-copy.txt")]);
        assert_eq!(c.duplicate_count, 1);
        assert!(links.context(0).prev.is_none(), "a missing previous year is not an error");
        assert_eq!(links.context(0).next.map(|n| n.path), Some(PathBuf::from("a2022-copy.txt")), "next year: the first version by path");
        assert!(links.context(3).prev.is_none(), "a department is not its government");
        assert_eq!(links.context(4), BatchContext::default());
        assert_eq!(links.groups().len(), 2);
    }

    #[test]
    fn many_versions_are_counted_but_only_a_few_listed() {
        let infos = (0..100).map(|n| info(&format!("v{n}.txt"), &n.to_string(), "x", 2021)).collect();
        let links = Links::new(infos);
        let c = links.context(0);
        assert_eq!(c.duplicate_count, 99);
        assert_eq!(c.duplicates.len(), MAX_LISTED);
        let mut f = Fields::new();
        c.add_fields(&mut f);
        assert_eq!(f["batch.duplicates"].value, Some(Value::Int(99)));
        assert!(f["batch.duplicate_paths"].value.as_ref().unwrap().to_string().ends_with("等共 99 份"));
    }

    #[test]
    fn versions_listed_are_the_first_others_in_batch_order_whatever_repeats() {
        // Contents repeated many times in one group (the same file copied under many names):
        // the list skips only this report's own content, as a walk over the whole group does.
        let ids = ["a", "a", "b", "a", "c", "b", "b", "a", "d", "c", "a", "b"];
        let n = 30 * ids.len();
        let infos = (0..n).map(|k| info(&format!("p{:03}.txt", n - k), ids[(k * k + k / 7) % ids.len()], "x", 2021)).collect();
        let links = Links::new(infos);
        for i in 0..n {
            let me = links.info(i).unwrap();
            let others: Vec<&LinkInfo> = (0..n).filter(|j| *j != i).filter_map(|j| links.info(j)).filter(|o| o.id != me.id).collect();
            let c = links.context(i);
            assert_eq!(c.duplicate_count, others.len());
            assert_eq!(c.duplicates, others.iter().take(MAX_LISTED).map(|o| o.path.clone()).collect::<Vec<_>>(), "report {i}");
        }
    }

    #[test]
    fn only_the_version_another_year_reads_is_read_by_others() {
        let mut links = Links::new(vec![
            info("b2021.txt", "1", "x", 2021),
            info("a2021.txt", "2", "x", 2021),
            info("a2022.txt", "3", "x", 2022),
            info("a2024.txt", "4", "x", 2024),
            info("y2022.txt", "5", "y", 2022),
        ]);
        // 2021 and 2022 read each other; 2021's first version by path is a2021.txt.
        assert_eq!(links.read_by_others(), vec![1, 2]);
        links.forget_unread_fields();
        assert!(links.info(0).unwrap().fields.is_empty());
        assert!(!links.info(1).unwrap().fields.is_empty());
        assert!(links.info(3).unwrap().fields.is_empty(), "no 2023 or 2025 reads 2024");
        let prev = links.context(2).prev.unwrap();
        assert_eq!(prev.path, PathBuf::from("a2021.txt"));
        assert_eq!(prev.fields["t3.carry_next.total"].value, Some(Value::Int(1)));
        links.set_fields(1, Vec::new());
        assert!(links.context(2).prev.unwrap().fields.is_empty());
    }

    #[test]
    fn the_same_content_twice_is_not_a_duplicate() {
        let links = Links::new(vec![info("a.txt", "1", "x", 2021), info("b.txt", "1", "x", 2021)]);
        assert!(links.context(0).duplicates.is_empty());
    }

    #[test]
    fn update_moves_a_report_between_groups() {
        let mut links = Links::new(vec![info("a.txt", "1", "x", 2021), info("b.txt", "2", "y", 2022)]);
        assert!(links.context(1).prev.is_none());
        let touched = links.update(1, info("b.txt", "2", "x", 2022).unwrap());
        assert!(touched.contains(&1));
        assert_eq!(links.context(1).prev.map(|p| p.path), Some(PathBuf::from("a.txt")));
    }
}
