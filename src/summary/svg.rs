//! Inline SVG charts for the summary page: drawn from numbers alone, no script, no fonts to load.

use crate::letter::html_escape as esc;
use crate::text::display_width;

/// Series colours: confirmed / dismissed / open (findings), confirmed errors / confirmed
/// warnings / open (agencies), confirmed / dismissed / corrected (reviewers).
pub const FINDINGS: [&str; 3] = ["#c0392b", "#7f8c8d", "#f1c40f"];
pub const AGENCIES: [&str; 3] = ["#c0392b", "#e67e22", "#f1c40f"];
pub const REVIEWERS: [&str; 3] = ["#c0392b", "#7f8c8d", "#2980b9"];
const STATES: [&str; 4] = ["#95a5a6", "#f39c12", "#27ae60", "#c0392b"];

/// One horizontal bar split by share, with a legend under it.
pub fn stacked_bar(parts: &[(String, usize)]) -> String {
    let total: usize = parts.iter().map(|(_, n)| n).sum();
    let (w, h) = (640.0_f64, 34.0_f64);
    let mut out = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} 64\" width=\"{w}\" height=\"64\" role=\"img\" aria-label=\"报告审核状态\">");
    let mut x = 0.0;
    for (i, (label, n)) in parts.iter().enumerate() {
        if total == 0 || *n == 0 {
            continue;
        }
        let bw = w * (*n as f64) / (total as f64);
        out.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"0\" width=\"{bw:.1}\" height=\"{h}\" fill=\"{}\"><title>{} {n}</title></rect>",
            STATES[i % STATES.len()],
            esc(label)
        ));
        if bw > 28.0 {
            out.push_str(&format!("<text x=\"{:.1}\" y=\"22\" font-size=\"13\" fill=\"#fff\" text-anchor=\"middle\">{n}</text>", x + bw / 2.0));
        }
        x += bw;
    }
    if total == 0 {
        out.push_str(&format!("<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#eee\"/>"));
    }
    let mut lx = 0.0;
    for (i, (label, n)) in parts.iter().enumerate() {
        out.push_str(&format!(
            "<rect x=\"{lx}\" y=\"46\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"57\" font-size=\"13\">{} {n}</text>",
            STATES[i % STATES.len()],
            lx + 16.0,
            esc(label)
        ));
        lx += 30.0 + 8.0 * display_width(&format!("{label} {n}")) as f64;
    }
    out.push_str("</svg>\n");
    out
}

/// Horizontal bars, one row per item, each split into up to three series, with a legend.
pub fn bars(rows: &[(String, [usize; 3])], series: &[&str; 3], colours: &[&str; 3]) -> String {
    let label_w = rows.iter().map(|(l, _)| display_width(l)).max().unwrap_or(4).clamp(4, 40) as f64 * 7.5 + 8.0;
    let plot_w = 420.0;
    let row_h = 22.0;
    let top = 24.0;
    let h = top + row_h * rows.len().max(1) as f64 + 6.0;
    let w = label_w + plot_w + 60.0;
    let max = rows.iter().map(|(_, v)| v.iter().sum::<usize>()).max().unwrap_or(0).max(1) as f64;
    let mut out = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\">");
    let mut lx = label_w;
    for (i, s) in series.iter().enumerate() {
        out.push_str(&format!(
            "<rect x=\"{lx:.1}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.1}\" y=\"15\" font-size=\"12\">{}</text>",
            colours[i],
            lx + 16.0,
            esc(s)
        ));
        lx += 24.0 + 7.0 * display_width(s) as f64;
    }
    if rows.is_empty() {
        out.push_str(&format!("<text x=\"{label_w:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#888\">（无）</text>", top + 15.0));
    }
    for (k, (label, values)) in rows.iter().enumerate() {
        let y = top + row_h * k as f64;
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text>",
            label_w - 6.0,
            y + 15.0,
            esc(&crate::text::truncate_to_width(label, 40))
        ));
        let mut x = label_w;
        for (i, v) in values.iter().enumerate() {
            if *v == 0 {
                continue;
            }
            let bw = plot_w * (*v as f64) / max;
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {}: {v}</title></rect>",
                y + 3.0,
                row_h - 6.0,
                colours[i],
                esc(label),
                esc(series[i])
            ));
            x += bw;
        }
        let total: usize = values.iter().sum();
        out.push_str(&format!("<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#444\">{total}</text>", x + 4.0, y + 15.0));
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_plain_svg_with_escaped_labels() {
        let s = bars(&[("a<b".into(), [1, 2, 0]), ("某局".into(), [0, 0, 3])], &["确认", "驳回", "未处理"], &FINDINGS);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>\n"));
        assert!(s.contains("a&lt;b") && !s.contains("<script"));
        assert_eq!(s.matches("<rect").count(), 3 + 3, "legend plus one rect per non-zero value");
        let e = stacked_bar(&[("新".into(), 0), ("已完成".into(), 0)]);
        assert!(e.contains("#eee"), "an empty batch still draws a bar");
    }
}
