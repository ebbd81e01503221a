//! Where each field being tried sits in `CheckEnv::trying`.
//!
//! An assertion over ambiguous table cells is evaluated once per candidate reading, up to 4,096
//! times, and every evaluation looks each field it reads up among the dozens being tried. A
//! linear scan of string comparisons was the largest single cost of `check` on reports whose
//! table 三 lost its blank cells; this small open-addressing table, built once per assertion,
//! answers with one hash of the id and usually one comparison.

use std::cell::RefCell;

use crate::expr::Lookup;
use crate::model::Value;

pub(super) struct Slots {
    /// `(hash, slot + 1)`; 0 marks an empty entry.
    table: Vec<(u64, u32)>,
    mask: usize,
}

fn hash(id: &str) -> u64 {
    // Eight bytes at a time, multiply-xorshift mixing: ids are ASCII like "t3.denied.2.person".
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15 ^ id.len() as u64;
    for chunk in id.as_bytes().chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^= h >> 29;
    }
    h
}

impl Slots {
    /// Indexes `trying` as it stands; values may change afterwards, ids may not.
    pub(super) fn new(trying: &[(String, Option<Value>)]) -> Slots {
        let size = (trying.len() * 2).next_power_of_two().max(8);
        let mut slots = Slots { table: vec![(0, 0); size], mask: size - 1 };
        for (i, (id, _)) in trying.iter().enumerate() {
            // The first slot of an id wins, as with a scan from the front.
            if slots.get(id, trying).is_some() {
                continue;
            }
            let h = hash(id);
            let mut at = h as usize & slots.mask;
            while slots.table[at].1 != 0 {
                at = (at + 1) & slots.mask;
            }
            slots.table[at] = (h, i as u32 + 1);
        }
        slots
    }

    /// The slot of `id` in `trying` (the vector this was built from), if it is being tried.
    pub(super) fn get(&self, id: &str, trying: &[(String, Option<Value>)]) -> Option<usize> {
        let h = hash(id);
        let mut at = h as usize & self.mask;
        loop {
            let (eh, slot) = self.table[at];
            if slot == 0 {
                return None;
            }
            let i = slot as usize - 1;
            if eh == h && trying.get(i).is_some_and(|(k, _)| k == id) {
                return Some(i);
            }
            at = (at + 1) & self.mask;
        }
    }
}

/// For each dimension of a candidate search, the alternatives worth trying: the first of each
/// set that reads the same once a blank is taken as 0 for the fields `blank_is_zero` names
/// (the check cannot tell them apart, so they succeed or fail together). Cells that lost
/// their blanks read "0 or blank" over and over; this is what keeps such a table from
/// multiplying into thousands of identical tries. Indices into the dimension, ascending.
pub(super) fn representatives(dims: &[Vec<Vec<(String, Option<Value>)>>], blank_is_zero: impl Fn(&str) -> bool) -> Vec<Vec<usize>> {
    dims.iter()
        .map(|alts| {
            let mut seen: Vec<Vec<&Option<Value>>> = Vec::new();
            let mut keep = Vec::new();
            for (i, alt) in alts.iter().enumerate() {
                let effective: Vec<&Option<Value>> = alt
                    .iter()
                    .map(|(id, v)| if matches!(v, Some(Value::Int(0))) && blank_is_zero(id) { &None } else { v })
                    .collect();
                if !seen.contains(&effective) {
                    seen.push(effective);
                    keep.push(i);
                }
            }
            if keep.is_empty() {
                keep.push(0);
            }
            keep
        })
        .collect()
}

/// Where a field's value comes from while candidates are tried.
#[derive(Clone)]
enum Source {
    /// `trying[i]`: changes with every combination.
    Slot(usize),
    /// Settled for the whole search (an exact field, an absent one, last year's).
    Fixed(Lookup),
}

/// The fields one assertion reads, resolved once for the whole candidate search: every later
/// lookup of the same id string is one probe on the string's address instead of a hash and a
/// B-tree search. The ids an assertion reads are the rule's own strings and the expansions of
/// its globs, which stay put during the search, so their addresses repeat; a hit is confirmed
/// by comparing the text too, so another string that reuses an address cannot be mistaken.
pub(super) struct Tried {
    slots: Slots,
    resolved: RefCell<AddrTable>,
}

struct Entry {
    addr: usize,
    id: Box<str>,
    src: Source,
}

#[derive(Default)]
struct AddrTable {
    /// Open addressing on the id's address; `None` is empty.
    entries: Vec<Option<Entry>>,
    used: usize,
}

impl AddrTable {
    fn home(&self, addr: usize) -> usize {
        (addr >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15u64 as usize) & (self.entries.len() - 1)
    }

    fn find(&self, addr: usize, id: &str) -> Option<&Source> {
        if self.entries.is_empty() {
            return None;
        }
        let mask = self.entries.len() - 1;
        let mut at = self.home(addr);
        while let Some(e) = &self.entries[at] {
            if e.addr == addr && &*e.id == id {
                return Some(&e.src);
            }
            at = (at + 1) & mask;
        }
        None
    }

    fn insert(&mut self, e: Entry) {
        if (self.used + 1) * 2 > self.entries.len() {
            let size = (self.entries.len() * 2).max(64);
            let old = std::mem::replace(&mut self.entries, (0..size).map(|_| None).collect());
            self.used = 0;
            for e in old.into_iter().flatten() {
                self.insert(e);
            }
        }
        let mask = self.entries.len() - 1;
        let mut at = self.home(e.addr);
        while self.entries[at].is_some() {
            at = (at + 1) & mask;
        }
        self.entries[at] = Some(e);
        self.used += 1;
    }
}

impl Tried {
    pub(super) fn new(trying: &[(String, Option<Value>)]) -> Tried {
        Tried { slots: Slots::new(trying), resolved: RefCell::default() }
    }

    /// The slot of `id` in `trying`, if it is being tried.
    pub(super) fn slot(&self, id: &str, trying: &[(String, Option<Value>)]) -> Option<usize> {
        self.slots.get(id, trying)
    }

    /// The value of `id` under the combination in `trying`; `settled()` gives the value of a
    /// field that is not being tried, and is asked once per id.
    pub(super) fn lookup(&self, id: &str, trying: &[(String, Option<Value>)], settled: impl FnOnce() -> Lookup) -> Lookup {
        let addr = id.as_ptr() as usize;
        if let Some(src) = self.resolved.borrow().find(addr, id) {
            return value(src, trying);
        }
        let src = match self.slots.get(id, trying) {
            Some(i) => Source::Slot(i),
            None => Source::Fixed(settled()),
        };
        let out = value(&src, trying);
        self.resolved.borrow_mut().insert(Entry { addr, id: id.into(), src });
        out
    }
}

fn value(src: &Source, trying: &[(String, Option<Value>)]) -> Lookup {
    match src {
        Source::Slot(i) => match &trying[*i].1 {
            Some(v) => Lookup::Value(v.clone()),
            None => Lookup::Blank,
        },
        Source::Fixed(l) => l.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_id_and_the_first_slot_of_a_repeated_one() {
        let ids = ["t3.new.person", "t3.new.business", "t3.denied.1.person", "t3.new.person", "a"];
        let trying: Vec<(String, Option<Value>)> = ids.iter().map(|i| (i.to_string(), None)).collect();
        let slots = Slots::new(&trying);
        assert_eq!(slots.get("t3.new.person", &trying), Some(0));
        assert_eq!(slots.get("t3.new.business", &trying), Some(1));
        assert_eq!(slots.get("t3.denied.1.person", &trying), Some(2));
        assert_eq!(slots.get("a", &trying), Some(4));
        assert_eq!(slots.get("t3.new.total", &trying), None);
        assert_eq!(slots.get("", &trying), None);
    }
}

#[cfg(test)]
mod tried_tests {
    use super::*;

    #[test]
    fn a_tried_field_follows_the_combination_and_a_settled_one_is_asked_once() {
        let mut trying: Vec<(String, Option<Value>)> = vec![("a".into(), Some(Value::Int(1))), ("b".into(), None)];
        let t = Tried::new(&trying);
        let (a, b, c) = (String::from("a"), String::from("b"), String::from("c"));
        assert_eq!(t.lookup(&a, &trying, || unreachable!()), Lookup::Value(Value::Int(1)));
        assert_eq!(t.lookup(&b, &trying, || unreachable!()), Lookup::Blank);
        let mut asked = 0;
        for _ in 0..3 {
            let got = t.lookup(&c, &trying, || {
                asked += 1;
                Lookup::Value(Value::Int(7))
            });
            assert_eq!(got, Lookup::Value(Value::Int(7)));
        }
        assert_eq!(asked, 1);
        trying[0].1 = Some(Value::Int(2));
        assert_eq!(t.lookup(&a, &trying, || unreachable!()), Lookup::Value(Value::Int(2)));
        // Another string with the same text resolves the same way.
        assert_eq!(t.lookup("a", &trying, || unreachable!()), Lookup::Value(Value::Int(2)));
    }
}

#[cfg(test)]
mod representative_tests {
    use super::*;

    fn alt(cells: &[(&str, Option<i64>)]) -> Vec<(String, Option<Value>)> {
        cells.iter().map(|(id, v)| (id.to_string(), v.map(Value::Int))).collect()
    }

    #[test]
    fn zero_and_blank_merge_only_where_the_check_cannot_tell_them_apart() {
        let dims = vec![
            vec![alt(&[("a", Some(0))]), alt(&[("a", None)]), alt(&[("a", Some(5))])],
            vec![alt(&[("b", None)]), alt(&[("b", Some(0))])],
        ];
        assert_eq!(representatives(&dims, |id| id == "a"), vec![vec![0, 2], vec![0, 1]]);
        assert_eq!(representatives(&dims, |_| true), vec![vec![0, 2], vec![0]]);
        assert_eq!(representatives(&dims, |_| false), vec![vec![0, 1, 2], vec![0, 1]]);
    }
}
