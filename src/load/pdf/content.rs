//! A page's content stream → positioned glyphs and ruling lines.
//!
//! lopdf parses the file and the operators; this module keeps the graphics and text state the
//! PDF operators describe (CTM, text matrix, font, spacing) far enough to place every glyph on the
//! page and to collect the straight lines and thin bars that draw table rules. Nothing is
//! rendered. Every loop is bounded by the [`Budget`], so a hostile file costs bounded time.

use std::collections::HashMap;
use std::rc::Rc;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId};

/// One glyph on the page, in page space (points, y up).
#[derive(Debug, Clone)]
pub struct Glyph {
    pub ch: char,
    pub x0: f64,
    pub x1: f64,
    /// Baseline.
    pub y: f64,
    /// Font size in page space.
    pub size: f64,
}

impl Glyph {
    pub fn cx(&self) -> f64 {
        (self.x0 + self.x1) / 2.0
    }
    /// Middle of the glyph's body, above the baseline.
    pub fn cy(&self) -> f64 {
        self.y + 0.35 * self.size
    }
}

/// A ruling line: horizontal (`y0 == y1`) or vertical (`x0 == x1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rule {
    pub fn horizontal(&self) -> bool {
        (self.y0 - self.y1).abs() < 1e-6
    }
}

#[derive(Debug, Default)]
pub struct PageContent {
    pub width: f64,
    pub height: f64,
    pub glyphs: Vec<Glyph>,
    pub rules: Vec<Rule>,
    /// Images painted (XObject images and inline images): with no glyphs, the page is a scan.
    pub images: usize,
    /// Glyphs whose font gives no way to know their characters (no ToUnicode map).
    pub unmapped: usize,
    /// The page's content would decompress past the limit (a compression bomb): not read, and
    /// nothing after it is.
    pub too_large: bool,
}

/// The most one page's content may decompress to.
pub const PAGE_LIMIT: usize = 64 * 1024 * 1024;

/// Work left for the whole document: operators interpreted and glyphs kept.
pub struct Budget {
    pub ops: usize,
    pub glyphs: usize,
    pub bytes: usize,
}

impl Budget {
    pub fn exhausted(&self) -> bool {
        self.ops == 0 || self.glyphs == 0 || self.bytes == 0
    }
}

type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a` then `b`.
fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// What a font needs to turn codes into characters and advances.
pub struct Font<'a> {
    two_byte: bool,
    vertical: bool,
    /// None: no way to read the codes (a CID font without ToUnicode).
    encoding: Option<Encoding<'a>>,
    cid_widths: HashMap<u32, f64>,
    default_width: f64,
    first_char: u32,
    widths: Vec<f64>,
}

impl<'a> Font<'a> {
    fn load(doc: &'a Document, dict: &'a Dictionary, limit: usize) -> Font<'a> {
        let subtype = dict.get(b"Subtype").and_then(Object::as_name).unwrap_or(b"");
        let two_byte = subtype == b"Type0";
        let enc_name = dict.get(b"Encoding").and_then(Object::as_name).unwrap_or(b"");
        let vertical = enc_name.ends_with(b"-V");
        let has_to_unicode = dict.get(b"ToUnicode").is_ok();
        let readable = !two_byte || has_to_unicode || enc_name == b"UniGB-UCS2-H" || enc_name == b"UniGB-UTF16-H";
        let encoding = if readable { dict.get_font_encoding_with_limit(doc, limit).ok() } else { None };
        let mut font = Font {
            two_byte,
            vertical,
            encoding,
            cid_widths: HashMap::new(),
            default_width: if two_byte { 1000.0 } else { 500.0 },
            first_char: 0,
            widths: Vec::new(),
        };
        if two_byte {
            let descendant = dict
                .get(b"DescendantFonts")
                .and_then(|o| deref(doc, o).as_array())
                .ok()
                .and_then(|a| a.first())
                .and_then(|o| deref(doc, o).as_dict().ok());
            if let Some(d) = descendant {
                if let Ok(dw) = d.get(b"DW").map(|o| number(deref(doc, o))) {
                    font.default_width = dw.unwrap_or(1000.0);
                }
                if let Ok(w) = d.get(b"W").and_then(|o| deref(doc, o).as_array()) {
                    font.cid_widths = cid_widths(doc, w);
                }
            }
        } else {
            font.first_char = dict.get(b"FirstChar").ok().and_then(|o| number(deref(doc, o))).unwrap_or(0.0).max(0.0) as u32;
            if let Ok(w) = dict.get(b"Widths").and_then(|o| deref(doc, o).as_array()) {
                font.widths = w.iter().take(256).map(|o| number(deref(doc, o)).unwrap_or(0.0)).collect();
            }
            let missing = dict
                .get(b"FontDescriptor")
                .and_then(|o| deref(doc, o).as_dict())
                .and_then(|fd| fd.get(b"MissingWidth"))
                .ok()
                .and_then(|o| number(deref(doc, o)));
            if let Some(m) = missing.filter(|m| *m > 0.0) {
                font.default_width = m;
            }
        }
        font
    }

    fn width(&self, code: u32) -> f64 {
        if self.two_byte {
            return self.cid_widths.get(&code).copied().unwrap_or(self.default_width);
        }
        code.checked_sub(self.first_char)
            .and_then(|i| self.widths.get(i as usize))
            .copied()
            .filter(|w| *w > 0.0)
            .unwrap_or(self.default_width)
    }

    /// The characters of one code; U+FFFD when the font cannot say.
    fn chars(&self, bytes: &[u8]) -> Option<String> {
        let enc = self.encoding.as_ref()?;
        enc.bytes_to_string(bytes).ok()
    }
}

/// The W array of a CID font: `c [w1 w2 …]` and `cfirst clast w`.
fn cid_widths(doc: &Document, w: &[Object]) -> HashMap<u32, f64> {
    let mut out = HashMap::new();
    let mut i = 0;
    while i < w.len() && out.len() < 70_000 {
        let Some(first) = number(deref(doc, &w[i])) else { break };
        let first = first.max(0.0) as u32;
        match w.get(i + 1).map(|o| deref(doc, o)) {
            Some(Object::Array(ws)) => {
                for (k, o) in ws.iter().enumerate().take(70_000) {
                    if let Some(v) = number(deref(doc, o)) {
                        out.insert(first.saturating_add(k as u32), v);
                    }
                }
                i += 2;
            }
            Some(o) => {
                let Some(last) = number(o) else { break };
                let Some(v) = w.get(i + 2).and_then(|o| number(deref(doc, o))) else { break };
                let last = (last.max(0.0) as u32).min(first.saturating_add(70_000));
                for c in first..=last {
                    out.insert(c, v);
                }
                i += 3;
            }
            None => break,
        }
    }
    out
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    doc.dereference(o).map(|(_, o)| o).unwrap_or(o)
}

fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

#[derive(Clone)]
struct GState<'a> {
    ctm: Matrix,
    font: Option<Rc<Font<'a>>>,
    size: f64,
    char_spacing: f64,
    word_spacing: f64,
    scale: f64,
    leading: f64,
    rise: f64,
}

/// Fonts already read, shared by every page of one document.
pub struct FontCache<'a> {
    fonts: HashMap<ObjectId, Rc<Font<'a>>>,
    limit: usize,
}

impl<'a> FontCache<'a> {
    pub fn new(limit: usize) -> Self {
        FontCache { fonts: HashMap::new(), limit }
    }
}

struct Interp<'a, 'c> {
    doc: &'a Document,
    fonts: &'c mut FontCache<'a>,
    budget: &'c mut Budget,
    out: PageContent,
    /// Forms being drawn (against cycles), and how deep.
    forms: Vec<ObjectId>,
}

/// Interprets one page. Errors inside the content are not fatal: what was read so far is kept.
pub fn read_page<'a>(doc: &'a Document, page: ObjectId, fonts: &mut FontCache<'a>, budget: &mut Budget) -> PageContent {
    let mut out = PageContent::default();
    let (w, h) = media_box(doc, page);
    out.width = w;
    out.height = h;
    let Ok(bytes) = doc.get_page_content_with_limit(page, budget.bytes.min(PAGE_LIMIT)) else {
        budget.bytes = 0;
        out.too_large = true;
        return out;
    };
    budget.bytes = budget.bytes.saturating_sub(bytes.len());
    let resources = page_resources(doc, page);
    let mut interp = Interp {
        doc,
        fonts,
        budget,
        out,
        forms: Vec::new(),
    };
    interp.run(&bytes, resources.as_ref(), IDENTITY);
    interp.out
}

fn media_box(doc: &Document, page: ObjectId) -> (f64, f64) {
    // MediaBox is inheritable: walk up the page tree a bounded number of steps.
    let mut node = doc.get_dictionary(page).ok();
    for _ in 0..16 {
        let Some(d) = node else { break };
        if let Ok(mb) = d.get(b"MediaBox").and_then(|o| deref(doc, o).as_array()) {
            let v: Vec<f64> = mb.iter().filter_map(|o| number(deref(doc, o))).collect();
            if v.len() == 4 {
                return ((v[2] - v[0]).abs(), (v[3] - v[1]).abs());
            }
        }
        node = d.get(b"Parent").and_then(|o| o.as_reference()).and_then(|id| doc.get_dictionary(id)).ok();
    }
    (595.0, 842.0)
}

/// The page's resource dictionary (own or inherited), cloned so forms can use their own.
fn page_resources(doc: &Document, page: ObjectId) -> Option<Dictionary> {
    let (direct, ids) = doc.get_page_resources(page).ok()?;
    if let Some(d) = direct {
        return Some(d.clone());
    }
    ids.first().and_then(|id| doc.get_dictionary(*id).ok()).cloned()
}

impl<'a> Interp<'a, '_> {
    fn run(&mut self, bytes: &[u8], resources: Option<&Dictionary>, base: Matrix) {
        let Ok(content) = Content::decode(bytes) else { return };
        let mut gs = GState {
            ctm: base,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        let mut stack: Vec<GState<'a>> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        // Current path: finished subpaths as point lists, plus the open one.
        let mut path: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut rects: Vec<[(f64, f64); 4]> = Vec::new();
        let mut local_fonts: HashMap<Vec<u8>, Rc<Font<'a>>> = HashMap::new();

        for op in &content.operations {
            if self.budget.ops == 0 {
                return;
            }
            self.budget.ops -= 1;
            let args = &op.operands;
            let num = |i: usize| args.get(i).and_then(number).unwrap_or(0.0);
            match op.operator.as_str() {
                "q" if stack.len() < 256 => stack.push(gs.clone()),
                "Q" => {
                    if let Some(s) = stack.pop() {
                        gs = s;
                    }
                }
                "cm" if args.len() == 6 => {
                    let m = [num(0), num(1), num(2), num(3), num(4), num(5)];
                    gs.ctm = mul(&m, &gs.ctm);
                }
                "BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                "Tf" => {
                    gs.size = num(1);
                    let name = args.first().and_then(|o| o.as_name().ok()).unwrap_or(b"");
                    if let Some(f) = local_fonts.get(name) {
                        gs.font = Some(f.clone());
                    } else {
                        gs.font = self.font(resources, name);
                        if let Some(f) = &gs.font {
                            local_fonts.insert(name.to_vec(), f.clone());
                        }
                    }
                }
                "Tc" => gs.char_spacing = num(0),
                "Tw" => gs.word_spacing = num(0),
                "Tz" => gs.scale = num(0) / 100.0,
                "TL" => gs.leading = num(0),
                "Ts" => gs.rise = num(0),
                "Td" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, num(0), num(1)], &tlm);
                    tm = tlm;
                }
                "TD" => {
                    gs.leading = -num(1);
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, num(0), num(1)], &tlm);
                    tm = tlm;
                }
                "Tm" if args.len() == 6 => {
                    tlm = [num(0), num(1), num(2), num(3), num(4), num(5)];
                    tm = tlm;
                }
                "T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                }
                "Tj" => {
                    if let Some(Object::String(s, _)) = args.first() {
                        self.show(&gs, &mut tm, s);
                    }
                }
                "'" | "\"" => {
                    if op.operator == "\"" {
                        gs.word_spacing = num(0);
                        gs.char_spacing = num(1);
                    }
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                    if let Some(Object::String(s, _)) = args.last() {
                        self.show(&gs, &mut tm, s);
                    }
                }
                "TJ" => {
                    if let Some(Object::Array(items)) = args.first() {
                        for item in items {
                            match item {
                                Object::String(s, _) => self.show(&gs, &mut tm, s),
                                o => {
                                    let adj = number(o).unwrap_or(0.0) / 1000.0 * gs.size;
                                    let vertical = gs.font.as_ref().is_some_and(|f| f.vertical);
                                    let m = if vertical {
                                        [1.0, 0.0, 0.0, 1.0, 0.0, -adj]
                                    } else {
                                        [1.0, 0.0, 0.0, 1.0, -adj * gs.scale, 0.0]
                                    };
                                    tm = mul(&m, &tm);
                                }
                            }
                        }
                    }
                }
                "m" if path.len() < 10_000 => path.push(vec![apply(&gs.ctm, num(0), num(1))]),
                "l" => {
                    let p = apply(&gs.ctm, num(0), num(1));
                    if let Some(sp) = path.last_mut().filter(|sp| sp.len() < 10_000) {
                        sp.push(p);
                    }
                }
                // Curves are never table rules; keep only where they end so the path goes on.
                "c" | "v" | "y" => {
                    let (x, y) = if op.operator == "c" { (num(4), num(5)) } else { (num(2), num(3)) };
                    let p = apply(&gs.ctm, x, y);
                    if let Some(sp) = path.last_mut() {
                        sp.push((f64::NAN, f64::NAN));
                        sp.push(p);
                    }
                }
                "h" => {
                    if let Some(sp) = path.last_mut()
                        && let Some(&first) = sp.first()
                        && sp.len() < 10_000
                    {
                        sp.push(first);
                    }
                }
                "re" if args.len() == 4 => {
                    let (x, y, w, h) = (num(0), num(1), num(2), num(3));
                    let c = [
                        apply(&gs.ctm, x, y),
                        apply(&gs.ctm, x + w, y),
                        apply(&gs.ctm, x + w, y + h),
                        apply(&gs.ctm, x, y + h),
                    ];
                    if rects.len() < 10_000 {
                        rects.push(c);
                    }
                }
                "S" | "s" => {
                    self.stroke(&path, &rects);
                    path.clear();
                    rects.clear();
                }
                "f" | "F" | "f*" => {
                    self.fill(&path, &rects);
                    path.clear();
                    rects.clear();
                }
                "B" | "B*" | "b" | "b*" => {
                    self.stroke(&path, &rects);
                    self.fill(&path, &rects);
                    path.clear();
                    rects.clear();
                }
                "n" => {
                    path.clear();
                    rects.clear();
                }
                "BI" | "EI" => self.out.images += 1,
                "Do" => {
                    let name = args.first().and_then(|o| o.as_name().ok()).unwrap_or(b"");
                    self.xobject(resources, name, gs.ctm);
                }
                _ => {}
            }
        }
    }

    fn font(&mut self, resources: Option<&Dictionary>, name: &[u8]) -> Option<Rc<Font<'a>>> {
        let doc = self.doc;
        let fonts = resources?.get(b"Font").ok()?;
        let fonts = deref(doc, fonts).as_dict().ok()?;
        let id = fonts.get(name).ok()?.as_reference().ok()?;
        let font = match self.fonts.fonts.get(&id) {
            Some(f) => f.clone(),
            None => {
                let dict = doc.get_dictionary(id).ok()?;
                let f = Rc::new(Font::load(doc, dict, self.fonts.limit));
                self.fonts.fonts.insert(id, f.clone());
                f
            }
        };
        Some(font)
    }

    /// Shows a string: one glyph per code.
    fn show(&mut self, gs: &GState<'a>, tm: &mut Matrix, bytes: &[u8]) {
        let Some(font) = gs.font.clone() else { return };
        let step = if font.two_byte { 2 } else { 1 };
        let trm_base = [gs.size * gs.scale, 0.0, 0.0, gs.size, 0.0, gs.rise];
        for chunk in bytes.chunks(step) {
            if self.budget.glyphs == 0 {
                return;
            }
            let code = chunk.iter().fold(0u32, |a, &b| a * 256 + u32::from(b));
            let w0 = font.width(code) / 1000.0;
            let trm = mul(&mul(&trm_base, tm), &gs.ctm);
            let (ox, oy) = apply(&trm, 0.0, 0.0);
            // The font size on the page: how long the text space's unit height becomes.
            let size = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt();
            let text = font.chars(chunk);
            let spacing = gs.char_spacing + if step == 1 && code == 32 { gs.word_spacing } else { 0.0 };
            if font.vertical {
                // Identity-V: every glyph advances one em down (W2 default), plus spacing.
                let ty = -gs.size + spacing;
                *tm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, ty], tm);
            } else {
                let tx = (w0 * gs.size + spacing) * gs.scale;
                *tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], tm);
            }
            let (ex, _) = apply(&trm, w0, 0.0);
            let Some(text) = text else {
                self.out.unmapped += 1;
                self.push(char::REPLACEMENT_CHARACTER, ox, ex, oy, size, font.vertical);
                continue;
            };
            // A ligature or a multi-character mapping shares the glyph's box.
            let visible: Vec<char> = text.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
            let n = visible.len().max(1) as f64;
            for (i, c) in visible.into_iter().enumerate() {
                let i = i as f64;
                let (a, b) = (ox + (ex - ox) * i / n, ox + (ex - ox) * (i + 1.0) / n);
                self.push(c, a, b, oy, size, font.vertical);
            }
        }
    }

    fn push(&mut self, ch: char, x0: f64, x1: f64, y: f64, size: f64, vertical: bool) {
        if !(x0.is_finite() && x1.is_finite() && y.is_finite() && size.is_finite()) || size <= 0.0 {
            return;
        }
        self.budget.glyphs = self.budget.glyphs.saturating_sub(1);
        let g = if vertical {
            // Vertical text: the origin is the top centre of the glyph.
            Glyph { ch, x0: x0 - size / 2.0, x1: x0 + size / 2.0, y: y - 0.88 * size, size }
        } else {
            Glyph { ch, x0: x0.min(x1), x1: x0.max(x1), y, size }
        };
        self.out.glyphs.push(g);
    }

    /// Straight axis-parallel segments of stroked paths are rules.
    fn stroke(&mut self, path: &[Vec<(f64, f64)>], rects: &[[(f64, f64); 4]]) {
        for sp in path {
            for w in sp.windows(2) {
                self.segment(w[0], w[1]);
            }
        }
        for r in rects {
            for k in 0..4 {
                self.segment(r[k], r[(k + 1) % 4]);
            }
        }
    }

    fn segment(&mut self, a: (f64, f64), b: (f64, f64)) {
        if !(a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite()) || self.out.rules.len() >= 50_000 {
            return;
        }
        if (a.1 - b.1).abs() < 0.8 && (a.0 - b.0).abs() > 1.0 {
            let y = (a.1 + b.1) / 2.0;
            self.out.rules.push(Rule { x0: a.0.min(b.0), y0: y, x1: a.0.max(b.0), y1: y });
        } else if (a.0 - b.0).abs() < 0.8 && (a.1 - b.1).abs() > 1.0 {
            let x = (a.0 + b.0) / 2.0;
            self.out.rules.push(Rule { x0: x, y0: a.1.min(b.1), x1: x, y1: a.1.max(b.1) });
        }
    }

    /// Filled bars thinner than 2.5 pt are rules; larger fills (cell shading) are not.
    fn fill(&mut self, path: &[Vec<(f64, f64)>], rects: &[[(f64, f64); 4]]) {
        let boxes = path
            .iter()
            .map(|sp| sp.iter().copied().filter(|p| p.0.is_finite()).collect::<Vec<_>>())
            .chain(rects.iter().map(|r| r.to_vec()));
        for pts in boxes {
            if pts.len() < 3 || self.out.rules.len() >= 50_000 {
                continue;
            }
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for (x, y) in pts {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
            let (w, h) = (x1 - x0, y1 - y0);
            if !(w.is_finite() && h.is_finite()) {
                continue;
            }
            if h < 2.5 && w > 2.0 * h && w > 1.0 {
                let y = (y0 + y1) / 2.0;
                self.out.rules.push(Rule { x0, y0: y, x1, y1: y });
            } else if w < 2.5 && h > 2.0 * w && h > 1.0 {
                let x = (x0 + x1) / 2.0;
                self.out.rules.push(Rule { x0: x, y0, x1: x, y1 });
            }
        }
    }

    fn xobject(&mut self, resources: Option<&Dictionary>, name: &[u8], ctm: Matrix) {
        let doc = self.doc;
        let Some(id) = resources
            .and_then(|r| r.get(b"XObject").ok())
            .and_then(|x| deref(doc, x).as_dict().ok())
            .and_then(|x| x.get(name).ok())
            .and_then(|o| o.as_reference().ok())
        else {
            return;
        };
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else { return };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => self.out.images += 1,
            Ok(b"Form") if self.forms.len() < 8 && !self.forms.contains(&id) => {
                let Ok(bytes) = stream.decompressed_content_with_limit(self.budget.bytes) else {
                    self.budget.bytes = 0;
                    return;
                };
                self.budget.bytes = self.budget.bytes.saturating_sub(bytes.len());
                let matrix = stream
                    .dict
                    .get(b"Matrix")
                    .and_then(Object::as_array)
                    .ok()
                    .map(|a| a.iter().filter_map(number).collect::<Vec<_>>())
                    .filter(|v| v.len() == 6)
                    .map_or(IDENTITY, |v| [v[0], v[1], v[2], v[3], v[4], v[5]]);
                let own = stream.dict.get(b"Resources").ok().and_then(|o| deref(doc, o).as_dict().ok()).cloned();
                self.forms.push(id);
                let res = own.as_ref().or(resources);
                self.run(&bytes, res, mul(&matrix, &ctm));
                self.forms.pop();
            }
            _ => {}
        }
    }
}
