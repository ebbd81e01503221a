//! A memo of candidate searches: an assertion over ambiguous cells is tried under up to 4,096
//! combinations of their readings, and the same search recurs — a table 三 that lost its blank
//! cells reads the same way in every copy of a report, all-zero columns are everywhere, and
//! settling and checking meet the same rows. The verdict depends only on the assertion, the
//! state of every field it reads (value, status, candidates, whether the readings are complete)
//! and the readings tried, so that is the key, never a file or a position: the finding's span
//! and message are still made from the report at hand.
//!
//! One memo per thread (rayon workers, the reviewer's audit thread), bounded in bytes and
//! emptied when full.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write;

use super::{Assignment, CheckEnv, Verdict};
use crate::expr::Expr;
use crate::model::{Field, Value};
use crate::rules::CheckInstance;

/// Searches with fewer combinations are cheaper to run than to look up.
const MIN_COMBOS: usize = 16;
/// Rough bytes one thread's memo may hold before it is emptied.
const BUDGET_BYTES: usize = 4 << 20;

#[derive(Default)]
struct Memo {
    verdicts: HashMap<Box<[u8]>, Verdict>,
    bytes: usize,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// Everything the search over `dims` reads, as one key; `None` when the search is too small to
/// be worth remembering or reads more than fields (a host function such as `deadline()` reads
/// the rule pack).
pub(super) fn key(env: &CheckEnv, inst: &CheckInstance, assert: &Expr, refs: &[&str], dims: &[Vec<Assignment>]) -> Option<Vec<u8>> {
    let total = dims.iter().map(|d| d.len().max(1)).try_fold(1usize, |a, n| a.checked_mul(n)).unwrap_or(usize::MAX);
    if total < MIN_COMBOS || !env.locals.is_empty() || !env.trying.is_empty() {
        return None;
    }
    if assert.calls_host() || inst.when.as_ref().is_some_and(|w| w.calls_host()) {
        return None;
    }
    let mut k = String::with_capacity(1024);
    k.push_str(assert.source());
    k.push('\0');
    if let Some(w) = &inst.when {
        k.push_str(w.source());
    }
    k.push('\0');
    for id in refs {
        k.push_str(id);
        k.push('=');
        let f = match id.strip_prefix("prev.") {
            Some(rest) => env.prev.and_then(|p| p.get(rest)),
            None => env.fields.get(*id),
        };
        match f {
            None => k.push('-'),
            Some(f) => field(&mut k, f),
        }
        k.push(';');
    }
    for d in dims {
        k.push('|');
        for alt in d {
            k.push('/');
            for (id, v) in alt {
                k.push_str(id);
                k.push(':');
                value(&mut k, v);
                k.push(',');
            }
        }
    }
    Some(k.into_bytes())
}

/// A field's state as the search reads it: status, value, candidates, completeness.
fn field(k: &mut String, f: &Field) {
    let _ = write!(k, "{:?}", f.status);
    value(k, &f.value);
    for c in &f.candidates {
        k.push('~');
        value(k, &c.value);
    }
    match &f.joint {
        Some(j) => k.push(if j.complete { 'C' } else { 'I' }),
        None => k.push('N'),
    }
}

fn value(k: &mut String, v: &Option<Value>) {
    match v {
        None => k.push('_'),
        Some(Value::Int(i)) => {
            let _ = write!(k, "{i}");
        }
        // Debug prints a float so that it reads back to the same bits.
        Some(other) => {
            let _ = write!(k, "{other:?}");
        }
    }
}

pub(super) fn get(key: &[u8]) -> Option<Verdict> {
    MEMO.with(|m| m.borrow().verdicts.get(key).cloned())
}

pub(super) fn put(key: Vec<u8>, verdict: &Verdict) {
    let weight = key.len() + 64 + trial_bytes(verdict);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.bytes + weight > BUDGET_BYTES {
            m.verdicts.clear();
            m.bytes = 0;
        }
        m.bytes += weight;
        m.verdicts.insert(key.into_boxed_slice(), verdict.clone());
    });
}

fn trial_bytes(v: &Verdict) -> usize {
    match v {
        Verdict::Fails(t) | Verdict::Certain(t, _) | Verdict::Uncertain(t) => t.iter().map(|(id, _)| id.len() + 32).sum(),
        Verdict::Error(e) => e.len(),
        Verdict::Holds | Verdict::NotApplicable => 0,
    }
}
