//! Ruling lines → table grids.
//!
//! A table is a set of horizontal and vertical rules that touch each other. Its grid lines are
//! the distinct rule positions; a grid cell whose border is missing (no rule covers that stretch)
//! is merged with its neighbour, which is how a spanning cell looks on paper. Cells are regions
//! of grid cells; each region's anchor is its top-left grid cell.

use super::content::Rule;

/// Rules closer than this (points) are one line; ends closer than this touch.
const SNAP: f64 = 2.0;

#[derive(Debug, Clone)]
pub struct Grid {
    /// Column boundaries, left to right.
    pub xs: Vec<f64>,
    /// Row boundaries, top to bottom (y decreasing).
    pub ys: Vec<f64>,
    /// `region[r][c]`: which merged cell covers grid cell (r, c).
    pub region: Vec<Vec<usize>>,
    /// Each region's anchor (top-left grid cell).
    pub anchors: Vec<(usize, usize)>,
    /// The last row (first row) had no rule below (above) it: the vertical rules ran on, as
    /// when a page break cuts a row in two.
    pub open_bottom: bool,
    pub open_top: bool,
    /// The table's rules (merged), kept to rebuild the grid with more column boundaries.
    h: Vec<Rule>,
    v: Vec<Rule>,
}

impl Grid {
    pub fn rows(&self) -> usize {
        self.ys.len() - 1
    }
    pub fn cols(&self) -> usize {
        self.xs.len() - 1
    }
    pub fn top(&self) -> f64 {
        self.ys[0]
    }
    pub fn bottom(&self) -> f64 {
        self.ys[self.ys.len() - 1]
    }

    /// A grid with no rules behind it (a table laid out by alignment only): every cell its own.
    pub fn unruled(xs: Vec<f64>, ys: Vec<f64>) -> Option<Grid> {
        let (rows, cols) = (ys.len().checked_sub(1)?, xs.len().checked_sub(1)?);
        if rows == 0 || cols < 2 {
            return None;
        }
        let region = (0..rows).map(|r| (0..cols).map(|c| r * cols + c).collect()).collect();
        let anchors = (0..rows).flat_map(|r| (0..cols).map(move |c| (r, c))).collect();
        Some(Grid { xs, ys, region, anchors, open_bottom: false, open_top: false, h: Vec::new(), v: Vec::new() })
    }

    /// Whether rules drew this grid (an unruled one takes no columns from its neighbours).
    pub fn ruled(&self) -> bool {
        !self.v.is_empty()
    }

    pub fn left(&self) -> f64 {
        self.xs[0]
    }
    pub fn right(&self) -> f64 {
        self.xs[self.xs.len() - 1]
    }

    /// The same table with `extra` column boundaries added (those inside its edges): a piece of
    /// a table continued from the page before gets that page's columns, its cells spanning the
    /// boundaries it has no rules for.
    pub fn with_columns(&self, extra: &[f64]) -> Grid {
        if !self.ruled() {
            return self.clone();
        }
        let mut xs = self.xs.clone();
        for &x in extra {
            if x > self.left() + SNAP && x < self.right() - SNAP && xs.iter().all(|&b| (b - x).abs() > SNAP) {
                xs.push(x);
            }
        }
        xs.sort_by(f64::total_cmp);
        match build_on(&self.h, &self.v, xs, self.ys.clone()) {
            Some(g) => Grid { open_bottom: self.open_bottom, open_top: self.open_top, ..g },
            None => self.clone(),
        }
    }

    /// Drops the top row (a row fragment moved to the piece before) and returns, for each old
    /// region, its new index (None when the region lay only in that row).
    pub fn drop_first_row(&mut self) -> Vec<Option<usize>> {
        let mut map = vec![None; self.anchors.len()];
        if self.rows() < 2 {
            return map;
        }
        self.ys.remove(0);
        self.region.remove(0);
        self.anchors.clear();
        for (r, row) in self.region.iter_mut().enumerate() {
            for (c, slot) in row.iter_mut().enumerate() {
                let new = *map[*slot].get_or_insert_with(|| {
                    self.anchors.push((r, c));
                    self.anchors.len() - 1
                });
                *slot = new;
            }
        }
        map
    }

    /// The grid cell holding a point, if inside the table.
    pub fn locate(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let (left, right) = (self.xs[0], self.xs[self.xs.len() - 1]);
        if x < left || x > right || y > self.top() || y < self.bottom() {
            return None;
        }
        let c = self.xs.partition_point(|&b| b <= x).saturating_sub(1).min(self.cols() - 1);
        let r = self.ys.partition_point(|&b| b >= y).saturating_sub(1).min(self.rows() - 1);
        Some((r, c))
    }
}

/// Every table drawn by the rules of one page, top to bottom.
pub fn find_grids(rules: &[Rule]) -> Vec<Grid> {
    let (h, v): (Vec<Rule>, Vec<Rule>) = rules.iter().partition(|r| r.horizontal());
    let h = merge(h, true);
    let v = merge(v, false);
    // Real tables have tens of rules; thousands are a drawing (or a hostile page), and pairing
    // them all would cost quadratic time.
    if h.len() < 2 || v.len() < 2 || h.len() > 2000 || v.len() > 2000 {
        return Vec::new();
    }
    // Connected components of touching rules.
    let n = h.len() + v.len();
    let mut parent: Vec<usize> = (0..n).collect();
    for (i, a) in h.iter().enumerate() {
        for (j, b) in v.iter().enumerate() {
            if b.x0 >= a.x0 - SNAP && b.x0 <= a.x1 + SNAP && a.y0 >= b.y0 - SNAP && a.y0 <= b.y1 + SNAP {
                union(&mut parent, i, h.len() + j);
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, (Vec<Rule>, Vec<Rule>)> = Default::default();
    for i in 0..n {
        let root = find(&mut parent, i);
        let g = groups.entry(root).or_default();
        if i < h.len() {
            g.0.push(h[i]);
        } else {
            g.1.push(v[i - h.len()]);
        }
    }
    let mut grids: Vec<Grid> = groups.into_values().filter_map(|(h, v)| build(&h, &v)).collect();
    grids.sort_by(|a, b| b.top().total_cmp(&a.top()));
    grids
}

/// Joins collinear rules that overlap or touch: rules at (nearly) the same position are grouped
/// first, then their extents merged, so two tables' rules on one line stay apart.
fn merge(mut rules: Vec<Rule>, horizontal: bool) -> Vec<Rule> {
    let pos = |r: &Rule| if horizontal { r.y0 } else { r.x0 };
    let span = |r: &Rule| if horizontal { (r.x0, r.x1) } else { (r.y0, r.y1) };
    rules.sort_by(|a, b| pos(a).total_cmp(&pos(b)));
    let mut out: Vec<Rule> = Vec::new();
    let mut i = 0;
    while i < rules.len() {
        let mut j = i + 1;
        while j < rules.len() && pos(&rules[j]) - pos(&rules[j - 1]) <= 1.0 {
            j += 1;
        }
        let group = &mut rules[i..j];
        group.sort_by(|a, b| span(a).0.total_cmp(&span(b).0));
        let p = group.iter().map(pos).sum::<f64>() / group.len() as f64;
        let mut cur: Option<(f64, f64)> = None;
        for r in group.iter() {
            let (s, e) = span(r);
            cur = match cur {
                Some((cs, ce)) if s <= ce + SNAP => Some((cs, ce.max(e))),
                Some((cs, ce)) => {
                    out.push(make(horizontal, p, cs, ce));
                    Some((s, e))
                }
                None => Some((s, e)),
            };
        }
        if let Some((cs, ce)) = cur {
            out.push(make(horizontal, p, cs, ce));
        }
        i = j;
    }
    out
}

fn make(horizontal: bool, pos: f64, s: f64, e: f64) -> Rule {
    if horizontal {
        Rule { x0: s, y0: pos, x1: e, y1: pos }
    } else {
        Rule { x0: pos, y0: s, x1: pos, y1: e }
    }
}

/// Distinct positions, each a cluster of values within SNAP.
fn positions(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let mut out: Vec<(f64, usize)> = Vec::new();
    for v in values {
        match out.last_mut() {
            Some((m, n)) if v - *m / *n as f64 <= SNAP => {
                *m += v;
                *n += 1;
            }
            _ => out.push((v, 1)),
        }
    }
    out.into_iter().map(|(m, n)| m / n as f64).collect()
}

fn build(h: &[Rule], v: &[Rule]) -> Option<Grid> {
    if h.len() < 2 || v.len() < 2 {
        return None;
    }
    // A table cut by a page break may leave its last (or first) row open: the vertical rules
    // run past the last horizontal one. Close it where they end.
    let mut h = h.to_vec();
    let (left, right) = v.iter().fold((f64::MAX, f64::MIN), |(l, r), x| (l.min(x.x0), r.max(x.x0)));
    let (low, high) = h.iter().fold((f64::MAX, f64::MIN), |(l, t), x| (l.min(x.y0), t.max(x.y0)));
    let v_low = v.iter().map(|r| r.y0).fold(f64::MAX, f64::min);
    let v_high = v.iter().map(|r| r.y1).fold(f64::MIN, f64::max);
    let open_bottom = v_low < low - 3.0 * SNAP;
    let open_top = v_high > high + 3.0 * SNAP;
    if open_bottom {
        h.push(Rule { x0: left, y0: v_low, x1: right, y1: v_low });
    }
    if open_top {
        h.push(Rule { x0: left, y0: v_high, x1: right, y1: v_high });
    }
    let xs = positions(v.iter().map(|r| r.x0).collect());
    let mut ys = positions(h.iter().map(|r| r.y0).collect());
    ys.reverse();
    let mut grid = build_on(&h, v, xs, ys)?;
    grid.open_bottom = open_bottom;
    grid.open_top = open_top;
    Some(grid)
}

fn build_on(h: &[Rule], v: &[Rule], xs: Vec<f64>, ys: Vec<f64>) -> Option<Grid> {
    let (rows, cols) = (ys.len().checked_sub(1)?, xs.len().checked_sub(1)?);
    // A single box is a frame around text, not a table.
    if rows == 0 || cols == 0 || rows * cols < 2 || rows * cols > 20_000 {
        return None;
    }
    let covers_v = |x: f64, y: f64| v.iter().any(|r| (r.x0 - x).abs() <= SNAP && r.y0 - SNAP <= y && y <= r.y1 + SNAP);
    let covers_h = |y: f64, x: f64| h.iter().any(|r| (r.y0 - y).abs() <= SNAP && r.x0 - SNAP <= x && x <= r.x1 + SNAP);
    let mut parent: Vec<usize> = (0..rows * cols).collect();
    for r in 0..rows {
        let ymid = (ys[r] + ys[r + 1]) / 2.0;
        for c in 0..cols {
            let xmid = (xs[c] + xs[c + 1]) / 2.0;
            if c + 1 < cols && !covers_v(xs[c + 1], ymid) {
                union(&mut parent, r * cols + c, r * cols + c + 1);
            }
            if r + 1 < rows && !covers_h(ys[r + 1], xmid) {
                union(&mut parent, r * cols + c, (r + 1) * cols + c);
            }
        }
    }
    let mut ids = std::collections::HashMap::new();
    let mut anchors = Vec::new();
    let mut region = vec![vec![0; cols]; rows];
    for (r, row) in region.iter_mut().enumerate() {
        for (c, slot) in row.iter_mut().enumerate() {
            let root = find(&mut parent, r * cols + c);
            *slot = *ids.entry(root).or_insert_with(|| {
                anchors.push((r, c));
                anchors.len() - 1
            });
        }
    }
    Some(Grid { xs, ys, region, anchors, open_bottom: false, open_top: false, h: h.to_vec(), v: v.to_vec() })
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        // The smaller index (earlier in row-major order) stays the root.
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[hi] = lo;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hr(y: f64, x0: f64, x1: f64) -> Rule {
        Rule { x0, y0: y, x1, y1: y }
    }
    fn vr(x: f64, y0: f64, y1: f64) -> Rule {
        Rule { x0: x, y0, x1: x, y1 }
    }

    #[test]
    fn a_two_by_two_grid_with_a_merged_header() {
        // Header row spans both columns: the middle rule starts below it.
        let rules = vec![
            hr(100.0, 0.0, 200.0),
            hr(80.0, 0.0, 200.0),
            hr(60.0, 0.0, 200.0),
            vr(0.0, 60.0, 100.0),
            vr(200.0, 60.0, 100.0),
            vr(100.0, 60.0, 80.0),
        ];
        let grids = find_grids(&rules);
        assert_eq!(grids.len(), 1);
        let g = &grids[0];
        assert_eq!((g.rows(), g.cols()), (2, 2));
        assert_eq!(g.region[0][0], g.region[0][1]);
        assert_ne!(g.region[1][0], g.region[1][1]);
        assert_eq!(g.locate(150.0, 70.0), Some((1, 1)));
        assert_eq!(g.locate(250.0, 70.0), None);
    }

    #[test]
    fn separate_tables_and_stray_lines() {
        let mut rules = vec![hr(700.0, 0.0, 500.0)]; // an underline, not a table
        for y in [500.0, 480.0] {
            rules.push(hr(y, 0.0, 100.0));
        }
        rules.extend([vr(0.0, 480.0, 500.0), vr(50.0, 480.0, 500.0), vr(100.0, 480.0, 500.0)]);
        for y in [300.0, 280.0, 260.0] {
            rules.push(hr(y, 0.0, 100.0));
        }
        rules.extend([vr(0.0, 260.0, 300.0), vr(100.0, 260.0, 300.0)]);
        let grids = find_grids(&rules);
        assert_eq!(grids.len(), 2);
        assert_eq!((grids[0].rows(), grids[0].cols()), (1, 2));
        assert_eq!((grids[1].rows(), grids[1].cols()), (2, 1));
    }

    #[test]
    fn a_continued_piece_takes_the_columns_of_the_page_before() {
        // Two columns ruled on this page; the page before had a boundary at 150 as well.
        let rules = vec![hr(100.0, 0.0, 200.0), hr(80.0, 0.0, 200.0), vr(0.0, 80.0, 100.0), vr(100.0, 80.0, 100.0), vr(200.0, 80.0, 100.0)];
        let g = &find_grids(&rules)[0].with_columns(&[0.0, 100.0, 150.0, 200.0]);
        assert_eq!(g.cols(), 3);
        assert_eq!(g.region[0][1], g.region[0][2], "no rule at 150 here: one cell over both columns");
    }

    #[test]
    fn a_row_left_open_by_a_page_break_is_closed_where_the_columns_end() {
        let rules = vec![hr(100.0, 0.0, 200.0), hr(80.0, 0.0, 200.0), vr(0.0, 50.0, 100.0), vr(100.0, 50.0, 100.0), vr(200.0, 50.0, 100.0)];
        let g = &find_grids(&rules)[0];
        assert_eq!((g.rows(), g.cols()), (2, 2));
        assert_eq!(g.locate(50.0, 60.0), Some((1, 0)));
    }

    #[test]
    fn a_lone_box_is_not_a_table() {
        let rules = vec![hr(10.0, 0.0, 10.0), hr(0.0, 0.0, 10.0), vr(0.0, 0.0, 10.0), vr(10.0, 0.0, 10.0)];
        assert!(find_grids(&rules).is_empty());
    }
}
