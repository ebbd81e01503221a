//! The exact joint search of [`super::split::resolve_table`]: one reading per involved row, every
//! applied identity balanced, and which readings take part in some such assignment.
//!
//! The search visits exactly the nodes the plain depth-first search visits, in the same order
//! (so the node cap cuts it short on the same tables and every result is the same), but keeps
//! each identity's running column sums as rows are chosen instead of adding up every term again
//! at each node, with each reading's `coefficient × value` laid out flat once per search and
//! summed in `i64` whenever no sum can leave its range. Table 三's result sum has a dozen rows
//! and seven columns, and a collapsed table gives its rows many readings: re-adding the terms
//! in `i128` was most of the search.

use super::split::{Equation, Values};

/// Assignments tried before giving up.
pub(super) const TABLE_NODE_CAP: usize = 200_000;

/// What the search adds up: `i64` when no sum can leave its range (always, in real tables),
/// else `i128` as the values are.
trait Sum: Copy + Default + PartialEq + std::ops::AddAssign + std::ops::SubAssign + std::ops::Add<Output = Self> {
    fn of(v: i128) -> Self;
}

impl Sum for i64 {
    fn of(v: i128) -> i64 {
        v as i64
    }
}

impl Sum for i128 {
    fn of(v: i128) -> i128 {
        v
    }
}

/// Where one involved row's terms sit in the flat running sums: `(offset, columns)` of each
/// equation the term belongs to, in the order its contributions are laid out.
type Slots = Vec<(usize, usize)>;

struct Search<'a, T> {
    alive: &'a [Vec<bool>],
    involved: &'a [usize],
    /// Per position: the row's terms in equations whose last row sits there (checked there).
    due: Vec<Slots>,
    /// Per position: the row's terms in equations still open after it (added to the sums).
    open: Vec<Slots>,
    /// Per position, per reading: `coef * value` for each due term's columns, then each open
    /// term's, laid out as `due` and `open` list them.
    contrib: Vec<Vec<Vec<T>>>,
    /// Per equation, per listed column, flat: the terms chosen so far, summed.
    sums: Vec<T>,
    choice: Vec<usize>,
    support: Vec<Vec<bool>>,
    unsupported: usize,
    nodes: usize,
    capped: bool,
}

impl<T: Sum> Search<'_, T> {
    fn go(&mut self, p: usize) {
        if self.capped || self.unsupported == 0 {
            return;
        }
        if p == self.involved.len() {
            for (i, &r) in self.involved.iter().enumerate() {
                let j = self.choice[i];
                if !self.support[r][j] {
                    self.support[r][j] = true;
                    self.unsupported -= 1;
                }
            }
            return;
        }
        let r = self.involved[p];
        for j in 0..self.alive[r].len() {
            if !self.alive[r][j] {
                continue;
            }
            self.nodes += 1;
            if self.nodes > TABLE_NODE_CAP {
                self.capped = true;
                return;
            }
            self.choice[p] = j;
            let v = &self.contrib[p][j];
            let mut at = 0;
            let ok = self.due[p].iter().all(|&(off, n)| {
                let here = self.sums[off..off + n].iter().zip(&v[at..at + n]).all(|(&acc, &x)| acc + x == T::default());
                at += n;
                here
            });
            if ok {
                self.shift(p, j, true);
                self.go(p + 1);
                self.shift(p, j, false);
            }
        }
    }

    /// Adds (or takes back) reading `j` of position `p` in the sums of the equations still open.
    fn shift(&mut self, p: usize, j: usize, add: bool) {
        let v = &self.contrib[p][j];
        let mut at: usize = self.due[p].iter().map(|&(_, n)| n).sum();
        for &(off, n) in &self.open[p] {
            for (acc, &x) in self.sums[off..off + n].iter_mut().zip(&v[at..at + n]) {
                if add {
                    *acc += x;
                } else {
                    *acc -= x;
                }
            }
            at += n;
        }
    }
}

/// `Some(Some(support))`: the readings that take part in some consistent assignment;
/// `Some(None)`: no assignment is consistent; `None`: the search hit its cap.
pub(super) fn joint(
    eqs: &[Equation],
    involved: &[usize],
    values: &Values,
    alive: &[Vec<bool>],
) -> Option<Option<Vec<Vec<bool>>>> {
    // A sum never exceeds the largest value times the equation's total coefficient.
    let largest = involved.iter().flat_map(|&r| values[r].iter().flatten()).map(|v| v.unsigned_abs()).max().unwrap_or(0);
    let weight = eqs.iter().map(|e| e.terms.iter().map(|(_, k)| k.unsigned_abs()).sum::<u128>()).max().unwrap_or(0);
    if largest.checked_mul(weight.max(1)).is_some_and(|m| m < (i64::MAX as u128) / 2) {
        search::<i64>(eqs, involved, values, alive)
    } else {
        search::<i128>(eqs, involved, values, alive)
    }
}

fn search<T: Sum>(
    eqs: &[Equation],
    involved: &[usize],
    values: &Values,
    alive: &[Vec<bool>],
) -> Option<Option<Vec<Vec<bool>>>> {
    let mut pos = vec![0; values.len()];
    for (i, &r) in involved.iter().enumerate() {
        pos[r] = i;
    }
    let mut offsets = Vec::with_capacity(eqs.len());
    let mut width = 0;
    for e in eqs {
        offsets.push(width);
        width += e.columns.len();
    }
    // Per position: (equation, coefficient) of each due term, then of each open term.
    let mut due: Vec<Vec<(usize, i128)>> = vec![Vec::new(); involved.len()];
    let mut open: Vec<Vec<(usize, i128)>> = vec![Vec::new(); involved.len()];
    for (e, eq) in eqs.iter().enumerate() {
        let last = eq.terms.iter().map(|&(r, _)| pos[r]).max().unwrap_or(0);
        for &(r, coef) in &eq.terms {
            if pos[r] == last { due[pos[r]].push((e, coef)) } else { open[pos[r]].push((e, coef)) }
        }
    }
    let contrib: Vec<Vec<Vec<T>>> = involved
        .iter()
        .enumerate()
        .map(|(p, &r)| {
            values[r]
                .iter()
                .map(|v| {
                    due[p].iter().chain(&open[p]).flat_map(|&(e, k)| eqs[e].columns.iter().map(move |&c| T::of(k * v[c]))).collect()
                })
                .collect()
        })
        .collect();
    let slots = |terms: &Vec<Vec<(usize, i128)>>| -> Vec<Slots> {
        terms.iter().map(|ts| ts.iter().map(|&(e, _)| (offsets[e], eqs[e].columns.len())).collect()).collect()
    };
    let unsupported = involved.iter().map(|&r| alive[r].iter().filter(|a| **a).count()).sum();
    let mut s = Search {
        alive,
        involved,
        due: slots(&due),
        open: slots(&open),
        contrib,
        sums: vec![T::default(); width],
        choice: vec![0; involved.len()],
        support: alive.iter().map(|a| vec![false; a.len()]).collect(),
        unsupported,
        nodes: 0,
        capped: false,
    };
    s.go(0);
    if s.capped {
        return None;
    }
    if s.support.iter().all(|x| x.iter().all(|y| !y)) {
        return Some(None);
    }
    Some(Some(s.support))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search as first written: every due equation summed over all its terms at each node.
    /// The fast search must agree with it everywhere, the cap included.
    fn reference(eqs: &[Equation], involved: &[usize], values: &Values, alive: &[Vec<bool>]) -> Option<Option<Vec<Vec<bool>>>> {
        struct J<'a> {
            eqs: &'a [Equation],
            values: &'a Values,
            alive: &'a [Vec<bool>],
            involved: &'a [usize],
            due: Vec<Vec<usize>>,
            pos: Vec<usize>,
            choice: Vec<usize>,
            support: Vec<Vec<bool>>,
            unsupported: usize,
            nodes: usize,
            capped: bool,
        }
        impl J<'_> {
            fn go(&mut self, p: usize) {
                if self.capped || self.unsupported == 0 {
                    return;
                }
                if p == self.involved.len() {
                    for (i, &r) in self.involved.iter().enumerate() {
                        let j = self.choice[i];
                        if !self.support[r][j] {
                            self.support[r][j] = true;
                            self.unsupported -= 1;
                        }
                    }
                    return;
                }
                let r = self.involved[p];
                for j in 0..self.values[r].len() {
                    if !self.alive[r][j] {
                        continue;
                    }
                    self.nodes += 1;
                    if self.nodes > TABLE_NODE_CAP {
                        self.capped = true;
                        return;
                    }
                    self.choice[p] = j;
                    let ok = self.due[p].iter().all(|&e| {
                        let eq = &self.eqs[e];
                        eq.columns.iter().all(|&c| {
                            let sum: i128 =
                                eq.terms.iter().map(|&(r2, k)| k * self.values[r2][self.choice[self.pos[r2]]][c]).sum();
                            sum == 0
                        })
                    });
                    if ok {
                        self.go(p + 1);
                    }
                }
            }
        }
        let mut pos = vec![0; values.len()];
        for (i, &r) in involved.iter().enumerate() {
            pos[r] = i;
        }
        let mut due: Vec<Vec<usize>> = vec![Vec::new(); involved.len()];
        for (e, eq) in eqs.iter().enumerate() {
            let last = eq.terms.iter().map(|&(r, _)| pos[r]).max().unwrap_or(0);
            due[last].push(e);
        }
        let unsupported = involved.iter().map(|&r| alive[r].iter().filter(|a| **a).count()).sum();
        let mut j = J {
            eqs,
            values,
            alive,
            involved,
            due,
            pos,
            choice: vec![0; involved.len()],
            support: alive.iter().map(|a| vec![false; a.len()]).collect(),
            unsupported,
            nodes: 0,
            capped: false,
        };
        j.go(0);
        if j.capped {
            return None;
        }
        if j.support.iter().all(|s| s.iter().all(|x| !x)) {
            return Some(None);
        }
        Some(Some(j.support))
    }

    use crate::testing::Rng;

    /// A random table: `rows` rows of `cols` columns with a few readings each, values small so
    /// identities often balance, and the table-三-like identities (first two rows = last two;
    /// a total row = the rows between) plus a random one.
    fn random_case(rng: &mut Rng, rows: usize, cols: usize) -> (Vec<Equation>, Vec<usize>, Values, Vec<Vec<bool>>) {
        let mut values: Values = Vec::new();
        for _ in 0..rows {
            let n = 1 + rng.below(5) as usize;
            values.push((0..n).map(|_| (0..cols).map(|_| (rng.below(4) as i128) * 1_000_000).collect()).collect());
        }
        // Half the tables get an all-zero reading in every row, which balances every identity,
        // so consistent tables (and the support of the other readings) are tested too.
        if rng.below(2) == 0 {
            for r in values.iter_mut() {
                let at = rng.below(r.len() as u64 + 1) as usize;
                r.insert(at, vec![0; cols]);
            }
        }
        let alive: Vec<Vec<bool>> = values.iter().map(|r| r.iter().map(|_| rng.below(6) != 0).collect()).collect();
        let all_cols: Vec<usize> = (0..cols).collect();
        let mut eqs = vec![
            Equation { terms: vec![(0, 1), (1, 1), (rows - 2, -1), (rows - 1, -1)], columns: all_cols.clone() },
            Equation {
                terms: std::iter::once((rows - 2, 1)).chain((2..rows - 2).map(|r| (r, -1))).collect(),
                columns: all_cols.clone(),
            },
        ];
        let a = rng.below(rows as u64) as usize;
        let b = (a + 1 + rng.below(rows as u64 - 1) as usize) % rows;
        eqs.push(Equation { terms: vec![(a, 2), (b, -1)], columns: vec![rng.below(cols as u64) as usize] });
        let mut involved: Vec<usize> = (0..rows).collect();
        // `resolve_table` passes the involved rows sorted; any order must work the same.
        if rng.below(2) == 0 {
            involved.reverse();
        }
        (eqs, involved, values, alive)
    }

    #[test]
    fn agrees_with_the_plain_search_on_random_tables() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut consistent, mut inconsistent) = (0, 0);
        for case in 0..3000 {
            let rows = 4 + rng.below(8) as usize;
            let cols = 1 + rng.below(7) as usize;
            let (eqs, involved, values, alive) = random_case(&mut rng, rows, cols);
            let want = reference(&eqs, &involved, &values, &alive);
            let got = joint(&eqs, &involved, &values, &alive);
            assert_eq!(got, want, "case {case}");
            match want {
                Some(Some(_)) => consistent += 1,
                Some(None) => inconsistent += 1,
                None => {}
            }
        }
        // The cases exercise both outcomes, not just one.
        assert!(consistent > 100 && inconsistent > 100, "{consistent} consistent, {inconsistent} inconsistent");
    }

    #[test]
    fn sums_beyond_i64_are_exact() {
        // 5e24 + 5e24 = 1e25 millionths: past i64, so the wide sums are used.
        let big = 5_000_000_000_000_000_000_000_000i128;
        for (total, balances) in [(2 * big, true), (2 * big + 1, false)] {
            let values: Values = vec![vec![vec![big], vec![1]], vec![vec![big]], vec![vec![total], vec![7]]];
            let alive: Vec<Vec<bool>> = values.iter().map(|r| vec![true; r.len()]).collect();
            let eqs = vec![Equation { terms: vec![(0, 1), (1, 1), (2, -1)], columns: vec![0] }];
            let involved = vec![0, 1, 2];
            let want = reference(&eqs, &involved, &values, &alive);
            assert_eq!(joint(&eqs, &involved, &values, &alive), want);
            assert_eq!(want.is_some_and(|s| s.is_some()), balances, "total {total}");
        }
    }

    #[test]
    fn hits_the_cap_exactly_where_the_plain_search_does() {
        // Many readings per row, none balancing until the last row: the search runs into the
        // cap; with one row fewer it finishes. Both searches must say the same each time.
        for rows in [5usize, 6, 7, 8] {
            let values: Values = (0..rows).map(|r| (0..12).map(|j| vec![(r * 100 + j) as i128]).collect()).collect();
            let alive: Vec<Vec<bool>> = values.iter().map(|r| vec![true; r.len()]).collect();
            let eqs = vec![Equation { terms: (0..rows).map(|r| (r, if r == 0 { -1 } else { 1 })).collect(), columns: vec![0] }];
            let involved: Vec<usize> = (0..rows).collect();
            let want = reference(&eqs, &involved, &values, &alive);
            assert_eq!(joint(&eqs, &involved, &values, &alive), want, "{rows} rows");
            if rows == 8 {
                assert_eq!(want, None, "eight rows of twelve readings exceed the cap");
            }
        }
    }
}
