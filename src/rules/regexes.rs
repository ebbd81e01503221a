//! Compiling a pack's regexes is most of the cost of loading it: the built-in pack has about 300,
//! and building one (the regex crate's NFAs, prefilters and engines) costs far more than reading
//! its YAML. So each distinct source is compiled once (table rows, checks and lexicon phrases
//! repeat patterns), and while the pack is read, the sources it is going to need are compiled
//! ahead on the machine's other cores.
//!
//! Working ahead is only ever a guess: the pass that reads the pack still asks for every regex
//! itself, in its own order, and gets the one compiled ahead when the guess was right or compiles
//! it then. What it gets, errors included, does not depend on the guesses, on the number of
//! threads or on which thread compiled what.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use regex::{Regex, RegexSet};

type Slot<T> = Arc<OnceLock<T>>;

/// A regex built the first time it is searched with. The built-in pack's table rows are these:
/// a batch of one year's reports never reads the layouts of the other years (about two thirds
/// of the rows), and a regex no report needs is never built. Every source is valid (the
/// built-in pack is compiled whole in its tests); a pack read from a folder builds its rows
/// when it loads, so its mistakes are reported there.
#[derive(Clone)]
pub struct LazyRegex(Arc<(String, OnceLock<Regex>)>);

impl LazyRegex {
    fn built(re: Regex) -> LazyRegex {
        LazyRegex(Arc::new((re.as_str().to_string(), OnceLock::from(re))))
    }

    pub fn as_str(&self) -> &str {
        &self.0.0
    }
}

impl std::ops::Deref for LazyRegex {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        self.0.1.get_or_init(|| match super::compile::compile_regex(&self.0.0) {
            Ok(re) => re,
            // Only sources of the built-in pack are left unbuilt, and its tests build them all.
            Err(e) => panic!("built-in rule pack: regex `{}`: {e}", self.0.0),
        })
    }
}

impl std::fmt::Debug for LazyRegex {
    /// As `Regex` prints itself, built or not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Regex").field(&self.as_str()).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing is left half-written under these locks, so a panic elsewhere does not matter.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Regexes by source text, each built once whichever thread asks first.
#[derive(Default)]
pub(super) struct Regexes {
    one: Mutex<HashMap<String, Slot<Result<Regex, String>>>>,
    sets: Mutex<HashMap<Vec<String>, Slot<Result<RegexSet, regex::Error>>>>,
    /// Build only when first searched with (the built-in pack).
    pub lazy: bool,
    later: Mutex<HashMap<String, LazyRegex>>,
}

impl Regexes {
    pub fn new(lazy: bool) -> Self {
        Regexes { lazy, ..Regexes::default() }
    }

    /// `src` for a table row: built now, or (lazy) checked for syntax now and built on first
    /// use, one cell per distinct source. A source that does not parse is built now for its error.
    /// `literal`: made of escaped literals (a loose label), so it parses by construction —
    /// parsing is most of the cost of a lazy row (Unicode `\s` between every two characters).
    pub fn row(&self, src: &str, literal: bool) -> Result<LazyRegex, String> {
        if !self.lazy || !(literal || parses(src)) {
            return self.regex(src).map(LazyRegex::built);
        }
        let mut later = lock(&self.later);
        Ok(later.entry(src.to_string()).or_insert_with(|| LazyRegex(Arc::new((src.to_string(), OnceLock::new())))).clone())
    }

    /// [`super::compile::compile_regex`] of `src`, built at most once.
    pub fn regex(&self, src: &str) -> Result<Regex, String> {
        let slot = {
            let mut map = lock(&self.one);
            match map.get(src) {
                Some(s) => s.clone(),
                None => map.entry(src.to_string()).or_default().clone(),
            }
        };
        // Outside the map's lock: other sources compile meanwhile; a thread wanting this one waits.
        slot.get_or_init(|| super::compile::compile_regex(src)).clone()
    }

    /// Every source asked for so far, and every set.
    #[cfg(test)]
    pub fn asked(&self) -> (Vec<String>, Vec<Vec<String>>) {
        (lock(&self.one).keys().cloned().collect(), lock(&self.sets).keys().cloned().collect())
    }

    /// `RegexSet::new(patterns)`, built at most once.
    pub fn set(&self, patterns: &[String]) -> Result<RegexSet, regex::Error> {
        let slot = lock(&self.sets).entry(patterns.to_vec()).or_default().clone();
        slot.get_or_init(|| RegexSet::new(patterns)).clone()
    }
}

/// Whether `src` parses as the regex crate parses it (syntax, Unicode classes, UTF-8 only).
/// A source that parses fails to compile only by exceeding the size limit.
pub(super) fn parses(src: &str) -> bool {
    regex_automata::util::syntax::parse(src).is_ok()
}

pub(super) type Job<'s> = Box<dyn FnOnce() + Send + 's>;

/// Work the helpers may do ahead of the reading pass. Helpers take jobs from the back, so the
/// pass (which wants them in queue order) and the helpers meet in the middle.
pub(super) struct Ahead<'s> {
    state: Mutex<(VecDeque<Job<'s>>, bool)>,
    wake: Condvar,
    helpers: usize,
}

impl<'s> Ahead<'s> {
    pub fn new(helpers: usize) -> Self {
        Ahead { state: Mutex::new((VecDeque::new(), false)), wake: Condvar::new(), helpers }
    }

    /// Helper threads worth starting: the other cores, a few at most (the pack is small).
    pub fn helpers_for_this_machine() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1).min(3)
    }

    pub fn helpers(&self) -> usize {
        self.helpers
    }

    /// Queue jobs, in the order the pass will want their results. Without helpers nothing is
    /// queued: the pass does everything itself anyway.
    pub fn push(&self, jobs: impl IntoIterator<Item = Job<'s>>) {
        if self.helpers == 0 {
            return;
        }
        let mut st = lock(&self.state);
        if st.1 {
            return;
        }
        st.0.extend(jobs);
        drop(st);
        self.wake.notify_all();
    }

    /// A helper's loop: run queued jobs until [`Ahead::close`].
    pub fn work(&self) {
        loop {
            let job = {
                let mut st = lock(&self.state);
                loop {
                    if st.1 {
                        return;
                    }
                    if let Some(j) = st.0.pop_back() {
                        break j;
                    }
                    st = self.wake.wait(st).unwrap_or_else(|e| e.into_inner());
                }
            };
            job();
        }
    }

    /// The pass is done: drop what is still queued and let the helpers go.
    pub fn close(&self) {
        let mut st = lock(&self.state);
        st.1 = true;
        let left = std::mem::take(&mut st.0);
        drop(st);
        drop(left);
        self.wake.notify_all();
    }
}

/// Closes the queue however the pass ends (a panic included), so the helpers always return and
/// the thread scope can end.
pub(super) struct Closing<'a, 's>(pub &'a Ahead<'s>);

impl Drop for Closing<'_, '_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_compiled_once_and_errors_are_kept() {
        let r = Regexes::default();
        let a = r.regex("a+b").unwrap();
        let b = r.regex("a+b").unwrap();
        assert_eq!(a.as_str(), b.as_str());
        assert_eq!(lock(&r.one).len(), 1);
        let e1 = r.regex("(").unwrap_err();
        assert_eq!(e1, r.regex("(").unwrap_err());
        assert_eq!(e1, super::super::compile::compile_regex("(").unwrap_err());
    }

    #[test]
    fn parsing_agrees_with_compiling_on_syntax() {
        for (src, ok) in [("a|b", true), ("(", false), (r"\p{Han}+", true), (r"(?-u:\xFF)", false), ("a{2,1}", false), (r"\w{1000}", true)] {
            assert_eq!(parses(src), ok, "{src}");
        }
        // Parses, yet too large once compiled: only the size limit is left to fail on.
        assert!(super::super::compile::compile_regex(r"\w{1000}").is_err());
    }

    #[test]
    fn helpers_run_queued_jobs_and_stop_when_closed() {
        let r = Regexes::default();
        let srcs: Vec<String> = (0..20).map(|i| format!("x{i}y+")).collect();
        let ahead = Ahead::new(2);
        std::thread::scope(|s| {
            for _ in 0..ahead.helpers() {
                s.spawn(|| ahead.work());
            }
            let _closing = Closing(&ahead);
            let r = &r;
            ahead.push(srcs.iter().map(|src| Box::new(move || drop(r.regex(src))) as Job));
            for src in &srcs {
                assert!(r.regex(src).unwrap().is_match(&format!("{}y", &src[..src.len() - 2])));
            }
        });
        assert_eq!(lock(&r.one).len(), 20);
    }
}
