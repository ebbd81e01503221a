//! A memo for [`split::read_row`]: the same row text under the same row spec always reads the
//! same way, and such rows recur — all-zero rows, rows of blanks, the same agency's table
//! printed again, and a batch's reports that another year reads are extracted twice (once to
//! link them, once to audit them). Keyed by the spec and the row's text, never by file or position: the result holds
//! offsets relative to the row's text, so it is valid wherever that text appears.
//!
//! One memo per thread (rayon workers, the reviewer's audit thread), so there is no locking;
//! each is bounded in bytes. It keeps two generations: when the young one is full it becomes
//! the old one (the previous old one is dropped), and an entry found in the old one moves back
//! to the young one. Rows and tables that keep recurring (a template's all-zero rows, the rows
//! most reports of a batch share) so survive while one-off rows age out, where emptying the
//! whole memo when full lost them every few dozen reports and read them again.

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::split::{self, RowResult, RowSpec, TableIdentity};

/// Rows longer than this are read every time: long regions are rare and rarely repeat.
const MAX_KEY_BYTES: usize = 2048;
/// Rough bytes one thread's memo may hold, both generations together.
const BUDGET_BYTES: usize = 4 << 20;
/// One generation's share.
const GENERATION_BYTES: usize = BUDGET_BYTES / 2;

/// A table's rows as the caller has them: each row's text and hints (`None`: the row's label
/// was not found).
pub type TableRows<'a> = [Option<(&'a str, &'a [(usize, i64)])>];

/// A table narrowed jointly: its rows, and per row whether the narrative's figures narrowed it.
/// Shared, so a remembered table is handed out without copying its readings.
pub type Resolved = Rc<(Vec<RowResult>, Vec<bool>)>;

/// A whole table's inputs, owned: the rows, the row spec without hints, the identities
/// between rows. Compared with a caller's borrowed inputs, so a lookup copies nothing.
struct TableKey {
    rows: Vec<Option<(Box<str>, Vec<(usize, i64)>)>>,
    spec: RowSpec,
    balances: Vec<TableIdentity>,
}

impl TableKey {
    fn is(&self, rows: &TableRows, spec: &RowSpec, balances: &[TableIdentity]) -> bool {
        self.spec.kinds == spec.kinds
            && self.spec.identities == spec.identities
            && self.spec.at_least == spec.at_least
            && self.balances == balances
            && self.rows.len() == rows.len()
            && self.rows.iter().zip(rows).all(|(a, b)| match (a, b) {
                (Some((t, h)), Some((u, g))) => **t == **u && h[..] == **g,
                (None, None) => true,
                _ => false,
            })
    }
}

/// The hash a table's inputs are filed under (the spec's hints are not part of them).
fn table_hash(rows: &TableRows, spec: &RowSpec, balances: &[TableIdentity]) -> u64 {
    let mut h = DefaultHasher::new();
    rows.hash(&mut h);
    spec.kinds.hash(&mut h);
    spec.identities.hash(&mut h);
    spec.at_least.hash(&mut h);
    balances.hash(&mut h);
    h.finish()
}

/// One generation of the memo.
#[derive(Default)]
struct Generation {
    /// By spec, then by the row's text: a lookup borrows both.
    rows: HashMap<RowSpec, HashMap<Box<str>, (RowResult, usize)>>,
    /// By [`table_hash`]; the keys in a bucket are compared in full.
    tables: HashMap<u64, Vec<(TableKey, Resolved, usize)>>,
    bytes: usize,
}

impl Generation {
    fn take_row(&mut self, spec: &RowSpec, text: &str) -> Option<(RowResult, usize)> {
        let (_, hit) = self.rows.get_mut(spec)?.remove_entry(text)?;
        self.bytes -= hit.1;
        Some(hit)
    }

    fn take_table(&mut self, hash: u64, rows: &TableRows, spec: &RowSpec, balances: &[TableIdentity]) -> Option<(TableKey, Resolved, usize)> {
        let bucket = self.tables.get_mut(&hash)?;
        let at = bucket.iter().position(|(k, _, _)| k.is(rows, spec, balances))?;
        let hit = bucket.swap_remove(at);
        self.bytes -= hit.2;
        Some(hit)
    }
}

#[derive(Default)]
struct Memo {
    young: Generation,
    old: Generation,
}

impl Memo {
    /// Makes room for `w` more bytes in the young generation, ageing it when full.
    fn reserve(&mut self, w: usize) {
        if self.young.bytes + w > GENERATION_BYTES {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.bytes += w;
    }

    fn put_row(&mut self, spec: &RowSpec, text: Box<str>, result: RowResult, w: usize) {
        self.reserve(w);
        match self.young.rows.get_mut(spec) {
            Some(t) => t.insert(text, (result, w)),
            None => self.young.rows.entry(spec.clone()).or_default().insert(text, (result, w)),
        };
    }

    fn put_table(&mut self, hash: u64, key: TableKey, out: Resolved, w: usize) {
        self.reserve(w);
        self.young.tables.entry(hash).or_default().push((key, out, w));
    }
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// Rough heap size of a result, to keep the memo bounded.
fn weight(text: &str, r: &RowResult) -> usize {
    let cells: usize = r.readings.iter().chain(&r.set_aside).map(|x| x.cells.len()).sum();
    128 + text.len() + cells * std::mem::size_of::<Option<split::CellValue>>() + (r.readings.len() + r.set_aside.len()) * 64
}

/// Whether this thread remembers `text` under `spec`, in either generation.
#[cfg(test)]
fn remembers_row(spec: &RowSpec, text: &str) -> bool {
    MEMO.with(|m| {
        let m = m.borrow();
        [&m.young, &m.old].iter().any(|g| g.rows.get(spec).is_some_and(|t| t.contains_key(text)))
    })
}

/// [`split::read_row`], answered from the memo when this thread has read the same text under
/// the same spec before.
pub fn read_row(region: &str, spec: &RowSpec) -> RowResult {
    if region.len() > MAX_KEY_BYTES {
        return split::read_row(region, spec);
    }
    let hit = MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if let Some((r, _)) = m.young.rows.get(spec).and_then(|t| t.get(region)) {
            return Some(r.clone());
        }
        let (r, w) = m.old.take_row(spec, region)?;
        m.put_row(spec, region.into(), r.clone(), w);
        Some(r)
    });
    if let Some(hit) = hit {
        return hit;
    }
    let result = split::read_row(region, spec);
    let w = weight(region, &result);
    if w <= GENERATION_BYTES / 8 {
        MEMO.with(|m| m.borrow_mut().put_row(spec, region.into(), result.clone(), w));
    }
    result
}

/// The rows of a table after they are narrowed jointly (`resolve`, which reads the rows and
/// narrows them: the caller's `resolve_rows`), answered from the memo when this thread has seen
/// the same rows' texts and hints under the same spec and identities. The rows are read from
/// exactly those texts and hints, so the same key means the same input; on a hit they are not
/// read at all.
pub fn resolve_rows(
    rows: &TableRows,
    spec: &RowSpec,
    balances: &[TableIdentity],
    resolve: impl FnOnce() -> (Vec<RowResult>, Vec<bool>),
) -> Resolved {
    let text_bytes: usize = rows.iter().flatten().map(|(t, _)| t.len()).sum();
    if text_bytes > 16 * MAX_KEY_BYTES {
        return Rc::new(resolve());
    }
    let hash = table_hash(rows, spec, balances);
    let hit = MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if let Some((_, v, _)) = m.young.tables.get(&hash).and_then(|b| b.iter().find(|(k, _, _)| k.is(rows, spec, balances))) {
            return Some(v.clone());
        }
        let (k, v, w) = m.old.take_table(hash, rows, spec, balances)?;
        m.put_table(hash, k, v.clone(), w);
        Some(v)
    });
    if let Some(hit) = hit {
        return hit;
    }
    let out = Rc::new(resolve());
    let w: usize = out.0.iter().map(|r| weight("", r)).sum::<usize>() + text_bytes;
    if w <= GENERATION_BYTES / 8 {
        let key = TableKey {
            rows: rows.iter().map(|r| r.map(|(t, h)| (Box::from(t), h.to_vec()))).collect(),
            spec: RowSpec { hints: Vec::new(), ..spec.clone() },
            balances: balances.to_vec(),
        };
        MEMO.with(|m| m.borrow_mut().put_table(hash, key, out.clone(), w));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_row_reads_exactly_as_a_fresh_one() {
        let spec = RowSpec::row_total(3);
        for text in ["12012", " 5 0 5", "11112", "", "/ / /"] {
            let fresh = split::read_row(text, &spec);
            assert_eq!(read_row(text, &spec), fresh, "first read of {text:?}");
            assert_eq!(read_row(text, &spec), fresh, "remembered read of {text:?}");
        }
    }

    /// A table's rows read and narrowed as `extract_table` does, counting the reads.
    fn resolve_counting(rows: &TableRows, spec: &RowSpec, balances: &[TableIdentity], reads: &mut usize) -> Resolved {
        resolve_rows(rows, spec, balances, || {
            *reads += 1;
            let results: Vec<RowResult> = rows
                .iter()
                .map(|r| match r {
                    None => RowResult::absent(),
                    Some((t, h)) => split::read_row(t, &RowSpec { hints: h.to_vec(), ..spec.clone() }),
                })
                .collect();
            let n = results.len();
            (results, vec![false; n])
        })
    }

    #[test]
    fn a_remembered_table_is_shared_and_not_read_again() {
        let spec = RowSpec::row_total(3);
        let balance = vec![TableIdentity { lhs: vec![0], rhs: vec![1, 2], columns: vec![0, 1, 2] }];
        let rows: Vec<Option<(&str, &[(usize, i64)])>> = vec![Some(("5 0 5", &[])), Some(("3 0 3", &[])), Some(("2 0 2", &[]))];
        let mut reads = 0;
        let first = resolve_counting(&rows, &spec, &balance, &mut reads);
        let again = resolve_counting(&rows, &spec, &balance, &mut reads);
        assert_eq!(reads, 1);
        assert!(Rc::ptr_eq(&first, &again), "a hit hands out the remembered table, not a copy");
        // Any input that differs is read: one row's text, a hint, a missing row, the identities.
        let other_text: Vec<Option<(&str, &[(usize, i64)])>> = vec![Some(("5 0 5", &[])), Some(("3 0 3", &[])), Some(("2 1 3", &[]))];
        let hinted: Vec<Option<(&str, &[(usize, i64)])>> = vec![Some(("5 0 5", &[(0, 5)])), Some(("3 0 3", &[])), Some(("2 0 2", &[]))];
        let missing: Vec<Option<(&str, &[(usize, i64)])>> = vec![Some(("5 0 5", &[])), None, Some(("2 0 2", &[]))];
        for (k, rows) in [other_text, hinted, missing].iter().enumerate() {
            let got = resolve_counting(rows, &spec, &balance, &mut reads);
            assert_eq!(reads, 2 + k, "variant {k} was read");
            assert!(!Rc::ptr_eq(&got, &first));
        }
        resolve_counting(&rows, &spec, &[], &mut reads);
        assert_eq!(reads, 5, "other identities between rows are another table");
        resolve_counting(&rows, &RowSpec::counts(3), &balance, &mut reads);
        assert_eq!(reads, 6, "another row spec is another table");
        assert_eq!(resolve_counting(&rows, &spec, &balance, &mut reads).0, first.0);
        assert_eq!(reads, 6);
    }

    #[test]
    fn rows_that_keep_recurring_outlive_one_off_rows() {
        let spec = RowSpec::counts(3);
        let hot = "0 0 0";
        let first_cold = "1 1 1000000";
        read_row(hot, &spec);
        read_row(first_cold, &spec);
        // Enough one-off rows to fill the memo several times over, the hot row read among them.
        let mut filled = 0;
        let mut i = 0u64;
        while filled < 4 * BUDGET_BYTES {
            let text = format!("{i} 1 {}", i + 7);
            let r = read_row(&text, &spec);
            filled += weight(&text, &r);
            if i % 500 == 0 {
                // Never lost between two of its reads, however often the memo fills.
                assert!(remembers_row(&spec, hot), "hot row lost after {i} one-off rows");
                assert_eq!(read_row(hot, &spec), split::read_row(hot, &spec));
            }
            i += 1;
        }
        assert!(remembers_row(&spec, hot), "the recurring row is still remembered");
        assert!(!remembers_row(&spec, first_cold), "a row read once has aged out");
        assert_eq!(read_row(first_cold, &spec), split::read_row(first_cold, &spec));
    }

    #[test]
    fn the_spec_is_part_of_the_key() {
        let with_sum = RowSpec::row_total(3);
        let without = RowSpec::counts(3);
        let a = read_row("11112", &with_sum);
        let b = read_row("11112", &without);
        assert_eq!(a, split::read_row("11112", &with_sum));
        assert_eq!(b, split::read_row("11112", &without));
        assert_ne!(a, b);
        let hinted = RowSpec::row_total(3).with_hint(0, 11);
        assert_eq!(read_row("11112", &hinted), split::read_row("11112", &hinted));
    }
}
