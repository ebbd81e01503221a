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
use std::hash::{Hash, Hasher};

use super::split::{self, RowResult, RowSpec, TableIdentity};

/// Rows longer than this are read every time: long regions are rare and rarely repeat.
const MAX_KEY_BYTES: usize = 2048;
/// Rough bytes one thread's memo may hold before it is emptied.
const BUDGET_BYTES: usize = 2 << 20;

#[derive(PartialEq, Eq)]
struct Key {
    spec: RowSpec,
    text: Box<str>,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.text.hash(h);
        for k in &self.spec.kinds {
            (*k as u8).hash(h);
        }
        for id in &self.spec.identities {
            id.parts.hash(h);
            id.total.hash(h);
        }
        self.spec.at_least.hash(h);
        self.spec.hints.hash(h);
    }
}

/// A whole table: each row's text and hints (`None`: the row's label was not found), the
/// row spec without hints, and the identities between rows.
#[derive(PartialEq, Eq)]
struct TableKey {
    rows: Vec<Option<(Box<str>, Vec<(usize, i64)>)>>,
    spec: Key,
    balances: Vec<TableIdentity>,
}

impl Hash for TableKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.rows.hash(h);
        self.spec.hash(h);
        for b in &self.balances {
            b.lhs.hash(h);
            b.rhs.hash(h);
            b.columns.hash(h);
        }
    }
}

#[derive(Default)]
struct Memo {
    rows: HashMap<Key, RowResult>,
    tables: HashMap<TableKey, (Vec<RowResult>, Vec<bool>)>,
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
    let key = Key { spec: spec.clone(), text: region.into() };
    if let Some(hit) = MEMO.with(|m| m.borrow().rows.get(&key).cloned()) {
        return hit;
    }
    let result = split::read_row(region, spec);
    let w = weight(region, &result);
    if w <= BUDGET_BYTES / 16 {
        MEMO.with(|m| {
            let mut m = m.borrow_mut();
            m.reserve(w);
            m.rows.insert(key, result.clone());
        });
    }
    result
}

/// The rows of a table after they are narrowed jointly (`resolve`, the caller's
/// `resolve_rows`), answered from the memo when this thread has seen the same rows' texts and
/// hints under the same spec and identities. The rows were read by [`read_row`] from exactly
/// those texts and hints, so the same key means the same input.
pub fn resolve_rows(
    rows: &[Option<(&str, &[(usize, i64)])>],
    spec: &RowSpec,
    balances: &[TableIdentity],
    resolve: impl FnOnce() -> (Vec<RowResult>, Vec<bool>),
) -> (Vec<RowResult>, Vec<bool>) {
    let text_bytes: usize = rows.iter().flatten().map(|(t, _)| t.len()).sum();
    if text_bytes > 16 * MAX_KEY_BYTES {
        return resolve();
    }
    let key = TableKey {
        rows: rows.iter().map(|r| r.map(|(t, h)| (Box::from(t), h.to_vec()))).collect(),
        spec: Key { spec: RowSpec { hints: Vec::new(), ..spec.clone() }, text: Box::from("") },
        balances: balances.to_vec(),
    };
    if let Some(hit) = MEMO.with(|m| m.borrow().tables.get(&key).cloned()) {
        return hit;
    }
    let out = resolve();
    let w: usize = out.0.iter().map(|r| weight("", r)).sum::<usize>() + text_bytes;
    if w <= BUDGET_BYTES / 16 {
        MEMO.with(|m| {
            let mut m = m.borrow_mut();
            m.reserve(w);
            m.tables.insert(key, out.clone());
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
