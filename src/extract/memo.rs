//! A memo for [`split::read_row`]: the same row text under the same row spec always reads the
//! same way, and such rows recur — all-zero rows, rows of blanks, the same agency's table
//! printed again, and a batch's reports that another year reads are extracted twice (once to
//! link them, once to audit them). Keyed by the spec and the row's text, never by file or position: the result holds
//! offsets relative to the row's text, so it is valid wherever that text appears.
//!
//! One memo per thread (rayon workers, the reviewer's audit thread), so there is no locking;
//! each is bounded in bytes and simply emptied when full.

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::split::{self, RowResult, RowSpec, TableIdentity};

/// Rows longer than this are read every time: long regions are rare and rarely repeat.
const MAX_KEY_BYTES: usize = 2048;
/// Rough bytes one thread's memo may hold before it is emptied.
const BUDGET_BYTES: usize = 2 << 20;

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

#[derive(Default)]
struct Memo {
    /// By spec, then by the row's text: a lookup borrows both.
    rows: HashMap<RowSpec, HashMap<Box<str>, RowResult>>,
    /// By [`table_hash`]; the keys in a bucket are compared in full.
    tables: HashMap<u64, Vec<(TableKey, Resolved)>>,
    bytes: usize,
}

impl Memo {
    /// Makes room for `w` more bytes, emptying the memo when it would exceed its budget.
    fn reserve(&mut self, w: usize) {
        if self.bytes + w > BUDGET_BYTES {
            self.rows.clear();
            self.tables.clear();
            self.bytes = 0;
        }
        self.bytes += w;
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

/// [`split::read_row`], answered from the memo when this thread has read the same text under
/// the same spec before.
pub fn read_row(region: &str, spec: &RowSpec) -> RowResult {
    if region.len() > MAX_KEY_BYTES {
        return split::read_row(region, spec);
    }
    if let Some(hit) = MEMO.with(|m| m.borrow().rows.get(spec).and_then(|t| t.get(region)).cloned()) {
        return hit;
    }
    let result = split::read_row(region, spec);
    let w = weight(region, &result);
    if w <= BUDGET_BYTES / 16 {
        MEMO.with(|m| {
            let mut m = m.borrow_mut();
            m.reserve(w);
            match m.rows.get_mut(spec) {
                Some(t) => t.insert(region.into(), result.clone()),
                None => m.rows.entry(spec.clone()).or_default().insert(region.into(), result.clone()),
            };
        });
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
        let m = m.borrow();
        m.tables.get(&hash)?.iter().find(|(k, _)| k.is(rows, spec, balances)).map(|(_, v)| v.clone())
    });
    if let Some(hit) = hit {
        return hit;
    }
    let out = Rc::new(resolve());
    let w: usize = out.0.iter().map(|r| weight("", r)).sum::<usize>() + text_bytes;
    if w <= BUDGET_BYTES / 16 {
        let key = TableKey {
            rows: rows.iter().map(|r| r.map(|(t, h)| (Box::from(t), h.to_vec()))).collect(),
            spec: RowSpec { hints: Vec::new(), ..spec.clone() },
            balances: balances.to_vec(),
        };
        MEMO.with(|m| {
            let mut m = m.borrow_mut();
            m.reserve(w);
            m.tables.entry(hash).or_default().push((key, out.clone()));
        });
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
