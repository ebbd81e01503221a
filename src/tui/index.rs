//! Per-entry facts behind the report list and the overview, cached against the audit they were
//! taken from.
//!
//! Filtering, sorting and searching 10,000 reports on a key press must not read every report's
//! fields and findings again. [`Index::update`] compares each entry's `Arc<ReportAudit>` with
//! the one its [`Facts`] were taken from and recomputes only the changed ones (a re-audit always
//! delivers a new `Arc`). The costlier parts — the lower-cased search text, the review state
//! and the report's share of the overview [`Tally`] — are brought up to date by
//! [`Index::catch_up`], within a time budget on each tick, so that a tick taking in thousands
//! of reports stays short. Until an entry has caught up, the list reads those parts from the
//! audit itself: the answer is the same, only slower.

use std::sync::Arc;
use std::time::Instant;

use crate::model::Value;
use crate::pipeline::{ReportAudit, ReviewState};

use super::backend::Entry;
use super::overview::{StateFilter, Tally, report_group, report_year};

/// Whether two entries hold the same audit (both pending counts as the same).
fn same_audit(a: Option<&Arc<ReportAudit>>, b: Option<&Arc<ReportAudit>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Open findings per severity: (errors, warnings, infos).
pub fn open_counts(a: &ReportAudit) -> (usize, usize, usize) {
    a.open_counts()
}

/// A text field's value, borrowed ("" counts as absent).
pub fn text_value<'a>(a: &'a ReportAudit, id: &str) -> Option<&'a str> {
    match a.field(id).and_then(|f| f.value.as_ref()) {
        Some(Value::Text(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

pub fn int_value(a: &ReportAudit, id: &str) -> Option<i64> {
    match a.field(id).and_then(|f| f.value.as_ref()) {
        Some(Value::Int(n)) => Some(*n),
        _ => None,
    }
}

/// Case-insensitive `contains` for an already lower-cased needle. Chinese needles (the usual
/// case) need no case folding, so the haystack is not copied.
pub fn text_matches(hay: &str, needle: &str) -> bool {
    // Only a needle with cased letters (the needle is lower-cased) needs folding; CJK has none.
    if needle.chars().any(char::is_lowercase) && hay.chars().any(char::is_uppercase) {
        hay.to_lowercase().contains(needle)
    } else {
        hay.contains(needle)
    }
}

/// Whether the list search `needle` (lower-cased) matches an entry: its path, agency, or any
/// finding's rule or message. Pending entries match on their path only. Reads the audit
/// itself; [`Index::search_hit`] answers the same from the cached search text.
pub fn search_hit(e: &Entry, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let hit = |hay: &str| text_matches(hay, needle);
    let Some(a) = e.audit() else { return hit(&e.path().to_string_lossy()) };
    hit(&a.path.to_string_lossy())
        || a.field("agency").and_then(|f| f.value.as_ref()).is_some_and(|v| match v {
            Value::Text(s) => hit(s),
            v => hit(&v.to_string()),
        })
        || a.findings.iter().any(|f| hit(&f.rule) || hit(&f.message))
}

/// Everything [`search_hit`] looks at, each piece lower-cased on its own and the pieces joined
/// by '\n' (a one-line search never contains one, so no match can straddle two pieces).
fn haystack(e: &Entry) -> Box<str> {
    let mut s = String::new();
    let mut push = |piece: &str| {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(&piece.to_lowercase());
    };
    push(&e.path().to_string_lossy());
    if let Some(a) = e.audit() {
        match a.field("agency").and_then(|f| f.value.as_ref()) {
            Some(Value::Text(t)) => push(t),
            Some(v) => push(&v.to_string()),
            None => {}
        }
        for f in &a.findings {
            push(&f.rule);
            push(&f.message);
        }
    }
    s.into_boxed_str()
}

/// What the list filters and sorts on, taken from one audit.
#[derive(Debug)]
pub struct Facts {
    /// The audit these facts were taken from; `None` for a pending entry.
    audit: Option<Arc<ReportAudit>>,
    /// Open findings (errors, warnings, infos).
    pub counts: (usize, usize, usize),
    /// Could not be read or audited.
    pub failed: bool,
    pub template: Option<Box<str>>,
    /// The agency as read (the agency sort).
    pub agency: Option<Box<str>>,
    /// The year as read, ambiguous or not (the year sort).
    pub year: Option<i64>,
    /// [`report_group`] and [`report_year`] (the group sort and the overview's group filter).
    pub group: Option<Box<str>>,
    pub group_year: Option<i64>,
    /// Filled in by [`Index::catch_up`].
    state: Option<ReviewState>,
    /// Lower-cased search text, filled in by [`Index::catch_up`].
    hay: Option<Box<str>>,
}

impl Facts {
    fn of(e: &Entry) -> Facts {
        let a = e.audit();
        let boxed = |s: Option<&str>| s.map(Box::from);
        Facts {
            audit: a.cloned(),
            counts: a.map_or((0, 0, 0), |a| open_counts(a)),
            failed: a.is_some_and(|a| a.error.is_some()),
            template: boxed(a.and_then(|a| text_value(a, "template"))),
            agency: boxed(a.and_then(|a| text_value(a, "agency"))),
            year: a.and_then(|a| int_value(a, "year")),
            group: boxed(a.and_then(|a| report_group(a))),
            group_year: a.and_then(|a| report_year(a)),
            state: None,
            hay: None,
        }
    }

    pub fn pending(&self) -> bool {
        self.audit.is_none()
    }

    fn is_for(&self, e: &Entry) -> bool {
        same_audit(self.audit.as_ref(), e.audit())
    }

    /// The review state (ready entries); read from the audit until cached.
    fn review_state(&self) -> Option<ReviewState> {
        self.state.or_else(|| self.audit.as_ref().map(|a| a.review_state()))
    }

    /// [`StateFilter::accepts`] on the cached facts.
    pub fn state_accepts(&self, s: StateFilter) -> bool {
        match s {
            StateFilter::Pending => self.pending(),
            _ if self.pending() => false,
            StateFilter::Failed => self.failed,
            _ if self.failed => false,
            StateFilter::New => self.review_state() == Some(ReviewState::New),
            StateFilter::InProgress => self.review_state() == Some(ReviewState::InProgress),
            StateFilter::Done => self.review_state() == Some(ReviewState::Done),
            StateFilter::Open => self.counts.0 + self.counts.1 + self.counts.2 > 0,
            StateFilter::Conflict => self.audit.as_ref().is_some_and(|a| !a.conflicts.is_empty()),
        }
    }
}

/// The facts of every entry, plus the overview tally, kept in step with the entries.
#[derive(Debug, Default)]
pub struct Index {
    facts: Vec<Facts>,
    /// What the tally counted for each entry: `None` = nothing yet, `Some(None)` = pending.
    tallied: Vec<Option<Option<Arc<ReportAudit>>>>,
    tally: Tally,
    /// Entries whose search text, review state or tally share may lag behind (may repeat).
    lagging: Vec<usize>,
}

impl Index {
    /// Recomputes the facts of entries whose audit changed (pointer comparisons for the rest)
    /// and queues them for [`Index::catch_up`]. Returns how many changed.
    pub fn update(&mut self, entries: &[Entry]) -> usize {
        let mut changed = 0;
        // The facts replaced hold the last reference to the audits they were taken from:
        // freeing hundreds of reports' fields here would stall the frame, so it happens on a
        // thread of its own.
        let mut retired: Vec<Facts> = self.facts.drain(entries.len().min(self.facts.len())..).collect();
        for (i, (e, f)) in entries.iter().zip(self.facts.iter_mut()).enumerate() {
            if !f.is_for(e) {
                retired.push(std::mem::replace(f, Facts::of(e)));
                self.lagging.push(i);
                changed += 1;
            }
        }
        if !retired.is_empty() {
            std::thread::spawn(move || drop(retired));
        }
        for (i, e) in entries.iter().enumerate().skip(self.facts.len()) {
            self.facts.push(Facts::of(e));
            self.lagging.push(i);
            changed += 1;
        }
        if self.tallied.len() > entries.len() {
            // Entries never shrink during a session; if they did, take the gone ones out.
            for t in self.tallied.drain(entries.len()..).flatten() {
                self.tally.remove(t.as_deref());
            }
        }
        self.tallied.resize(entries.len(), None);
        changed
    }

    /// Builds lagging search texts, review states and tally shares until `deadline` (no limit
    /// when `None`). Returns whether everything has caught up.
    pub fn catch_up(&mut self, entries: &[Entry], deadline: Option<Instant>) -> bool {
        while let Some(&i) = self.lagging.last() {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            self.lagging.pop();
            let Some(e) = entries.get(i) else { continue };
            if let Some(f) = self.facts.get_mut(i)
                && f.is_for(e)
            {
                if f.hay.is_none() {
                    f.hay = Some(haystack(e));
                }
                if f.state.is_none() {
                    f.state = e.audit().map(|a| a.review_state());
                }
            }
            if let Some(t) = self.tallied.get_mut(i)
                && !t.as_ref().is_some_and(|old| same_audit(old.as_ref(), e.audit()))
            {
                if let Some(old) = t.take() {
                    self.tally.remove(old.as_deref());
                }
                self.tally.add(e.audit().map(|a| &**a));
                *t = Some(e.audit().cloned());
            }
        }
        true
    }

    /// Whether [`Index::catch_up`] has work left.
    pub fn is_behind(&self) -> bool {
        !self.lagging.is_empty()
    }

    /// The facts of entry `i`, as of the last [`Index::update`].
    pub fn facts(&self, i: usize) -> Option<&Facts> {
        self.facts.get(i)
    }

    /// The overview totals, when every entry has caught up.
    pub fn tally(&self) -> Option<&Tally> {
        (!self.is_behind()).then_some(&self.tally)
    }

    /// [`search_hit`] for entry `i`, from its cached search text when it has one.
    pub fn search_hit(&self, i: usize, e: &Entry, needle: &str) -> bool {
        if needle.is_empty() {
            return true;
        }
        match self.facts.get(i) {
            Some(f) if !needle.contains('\n') && f.is_for(e) => match &f.hay {
                Some(h) => h.contains(needle),
                None => search_hit(e, needle),
            },
            _ => search_hit(e, needle),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Decision, Verdict};
    use crate::tui::overview::Overview;
    use crate::tui::testing::sample_report;

    fn entries() -> Vec<Entry> {
        let mut c = sample_report("c.txt", "Xiamen Port Authority", "2021", "legacy");
        c.findings[0].message = "Balance ΣΑΣ off".into();
        vec![
            Entry::Ready(Arc::new(sample_report("a.txt", "平潭综合实验区管理委员会", "2022", "2021"))),
            Entry::Pending { path: "reports/PENDING.txt".into() },
            Entry::Ready(Arc::new(c)),
            Entry::Ready(Arc::new(ReportAudit::failed("x.txt".into(), "坏".into()))),
        ]
    }

    #[test]
    fn cached_search_answers_like_the_direct_one() {
        let es = entries();
        let mut ix = Index::default();
        ix.update(&es);
        let sigma = "ΣΑΣ".to_lowercase();
        let needles = ["", "平潭", "pending", "xiamen", "port auth", &sigma, "table3", "c.txt", "坏", "\n", "nothing"];
        // Before catching up (read from the audits) and after (cached text): same answers.
        for round in 0..2 {
            for n in needles {
                for (i, e) in es.iter().enumerate() {
                    assert_eq!(ix.search_hit(i, e, n), search_hit(e, n), "round {round}, needle {n:?}, entry {i}");
                }
            }
            assert!(ix.catch_up(&es, None));
            assert!(ix.facts(0).is_some_and(|f| f.hay.is_some()));
        }
        assert!(ix.search_hit(2, &es[2], "xiamen port"));
        assert!(!ix.search_hit(0, &es[0], "c.txt"));
    }

    #[test]
    fn a_re_audit_refreshes_facts_search_text_and_tally() {
        let mut es = entries();
        let mut ix = Index::default();
        assert_eq!(ix.update(&es), 4);
        assert!(ix.catch_up(&es, None));
        assert_eq!(ix.update(&es), 0, "unchanged entries are not recomputed");
        assert!(!ix.is_behind());

        let mut b = sample_report("b.txt", "福清市人民政府", "2023", "2019");
        b.findings[0].message = "新的问题说明".into();
        b.findings[1].decision = Some(Decision {
            verdict: Verdict::Confirmed,
            note: String::new(),
            reviewer: "x".into(),
            ts: "t".into(),
            stale: false,
        });
        es[1] = Entry::Ready(Arc::new(b));
        let mut a = (**es[0].audit().expect("ready")).clone();
        a.findings.clear();
        es[0] = Entry::Ready(Arc::new(a));
        assert_eq!(ix.update(&es), 2);
        assert_eq!(ix.facts(0).map(|f| f.counts), Some((0, 0, 0)));
        assert_eq!(ix.facts(1).and_then(|f| f.agency.as_deref()), Some("福清市人民政府"));
        assert!(ix.tally().is_none(), "the tally waits for catch_up");
        assert!(ix.search_hit(1, &es[1], "新的问题"), "found before catching up");
        assert!(ix.catch_up(&es, None));
        assert!(ix.search_hit(1, &es[1], "新的问题"), "and after");
        assert!(!ix.search_hit(0, &es[0], "table3"), "the old findings are gone from the search text");
        assert_eq!(ix.tally().map(Tally::overview), Some(Overview::build(&es)));
    }

    #[test]
    fn catch_up_stops_at_the_deadline_and_resumes() {
        let es: Vec<Entry> = (0..50)
            .map(|i| Entry::Ready(Arc::new(sample_report(&format!("{i}.txt"), "平潭综合实验区管理委员会", "2023", "2021"))))
            .collect();
        let mut ix = Index::default();
        ix.update(&es);
        assert!(!ix.catch_up(&es, Some(Instant::now())), "a passed deadline does nothing");
        assert!(ix.is_behind());
        assert!(ix.catch_up(&es, None));
        assert_eq!(ix.tally().map(|t| t.overview().progress.new), Some(50));
    }

    #[test]
    fn state_filter_on_facts_agrees_with_the_entry() {
        let es = entries();
        let mut ix = Index::default();
        ix.update(&es);
        let all = [
            StateFilter::New,
            StateFilter::InProgress,
            StateFilter::Done,
            StateFilter::Pending,
            StateFilter::Failed,
            StateFilter::Open,
            StateFilter::Conflict,
        ];
        for round in 0..2 {
            for s in all {
                for (i, e) in es.iter().enumerate() {
                    let f = ix.facts(i).expect("facts");
                    assert_eq!(f.state_accepts(s), s.accepts(e), "round {round} {s:?} entry {i}");
                }
            }
            ix.catch_up(&es, None);
        }
    }
}
