//! The letter as a Word document (Office Open XML, ISO/IEC 29500 transitional), written by hand:
//! a zip of the few parts Word and WPS need — content types, relationships, the document, its
//! styles, settings, font table and document properties.
//!
//! Typography follows the usual layout of official letters (GB/T 9704): A4 with 37/26/35/28 mm
//! margins, the title in 宋体 二号 bold and centred, the body in 仿宋 三号 with a two-character
//! first-line indent, 1.5 line spacing, the signature right-aligned.

use std::io::{Cursor, Write};

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use super::{Block, Letter};

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// Text for an XML text node or attribute: escaped, and without the characters XML 1.0 forbids
/// (report text can carry control characters).
pub fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn style_of(b: &Block) -> &'static str {
    match b {
        Block::Title(_) => "LetterTitle",
        Block::Salutation(_) => "LetterTo",
        Block::Heading(_) => "LetterHeading",
        Block::Para(_) | Block::Item(_) => "LetterBody",
        Block::Quote(_) => "LetterQuote",
        Block::Note(_) => "LetterNote",
        Block::Sign(_) => "LetterSign",
    }
}

fn document_xml(l: &Letter) -> String {
    let mut body = String::new();
    for b in &l.blocks {
        body.push_str(&format!(
            "<w:p><w:pPr><w:pStyle w:val=\"{}\"/></w:pPr><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            style_of(b),
            xml_text(b.text())
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<w:document xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:body>{body}\
<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/>\
<w:pgMar w:top=\"2098\" w:right=\"1474\" w:bottom=\"1984\" w:left=\"1588\" w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/>\
</w:sectPr></w:body></w:document>"
    )
}

/// One paragraph style: fonts (East Asian and Latin), size in half-points, bold, alignment,
/// first-line indent in characters ×100, left indent in twips.
struct Para {
    id: &'static str,
    name: &'static str,
    font: &'static str,
    half_points: u32,
    bold: bool,
    jc: &'static str,
    first_chars: u32,
    left: u32,
}

fn style(p: &Para) -> String {
    let Para { id, name, font, half_points, bold, jc, first_chars, left } = *p;
    let b = if bold { "<w:b/><w:bCs/>" } else { "" };
    let ind = if first_chars > 0 || left > 0 {
        format!("<w:ind w:left=\"{left}\" w:firstLineChars=\"{first_chars}\" w:firstLine=\"{}\"/>", first_chars * half_points / 10)
    } else {
        String::new()
    };
    format!(
        "<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:spacing w:line=\"360\" w:lineRule=\"auto\"/>{ind}<w:jc w:val=\"{jc}\"/></w:pPr>\
<w:rPr><w:rFonts w:ascii=\"{font}\" w:hAnsi=\"{font}\" w:eastAsia=\"{font}\" w:cs=\"{font}\"/>{b}<w:sz w:val=\"{half_points}\"/><w:szCs w:val=\"{half_points}\"/></w:rPr></w:style>"
    )
}

fn styles_xml() -> String {
    let p = |id, name, font, half_points, bold, jc, first_chars, left| Para { id, name, font, half_points, bold, jc, first_chars, left };
    let styles: String = [
        p("LetterTitle", "审核意见标题", "宋体", 44, true, "center", 0, 0),
        p("LetterTo", "审核意见称谓", "仿宋", 32, false, "left", 0, 0),
        p("LetterHeading", "审核意见小标题", "宋体", 32, true, "left", 200, 0),
        p("LetterBody", "审核意见正文", "仿宋", 32, false, "both", 200, 0),
        p("LetterQuote", "审核意见引文", "仿宋", 28, false, "both", 0, 1280),
        p("LetterNote", "审核意见备注", "仿宋", 32, false, "both", 200, 0),
        p("LetterSign", "审核意见落款", "仿宋", 32, false, "right", 0, 0),
    ]
    .iter()
    .map(style)
    .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<w:styles xmlns:w=\"{W_NS}\">\
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"仿宋\" w:hAnsi=\"仿宋\" w:eastAsia=\"仿宋\" w:cs=\"仿宋\"/>\
<w:kern w:val=\"2\"/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/><w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault>\
<w:pPrDefault><w:pPr><w:spacing w:line=\"360\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:widowControl w:val=\"0\"/><w:spacing w:line=\"360\" w:lineRule=\"auto\"/><w:jc w:val=\"both\"/></w:pPr></w:style>\
{styles}</w:styles>"
    )
}

const FONT_TABLE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<w:fonts xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
<w:font w:name=\"宋体\"><w:altName w:val=\"SimSun\"/><w:charset w:val=\"86\"/><w:family w:val=\"auto\"/><w:pitch w:val=\"variable\"/></w:font>\
<w:font w:name=\"仿宋\"><w:altName w:val=\"FangSong\"/><w:charset w:val=\"86\"/><w:family w:val=\"modern\"/><w:pitch w:val=\"fixed\"/></w:font>\
</w:fonts>";

const SETTINGS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
<w:zoom w:percent=\"100\"/><w:defaultTabStop w:val=\"420\"/><w:characterSpacingControl w:val=\"compressPunctuation\"/>\
<w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>\
</w:settings>";

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>\
<Override PartName=\"/word/fontTable.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
<Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
</Types>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>\
</Relationships>";

const DOCUMENT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>\
<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" Target=\"fontTable.xml\"/>\
</Relationships>";

const APP: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"><Application>nianbao</Application></Properties>";

fn core_xml(l: &Letter) -> String {
    let now = crate::journal::rfc3339(std::time::SystemTime::now());
    let when = format!("{}Z", now.get(..19).unwrap_or(&now));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
<dc:title>{}</dc:title><dc:creator>nianbao</dc:creator><dc:language>zh-CN</dc:language>\
<dcterms:created xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:created></cp:coreProperties>",
        xml_text(&l.title)
    )
}

/// The `.docx` bytes of a letter.
pub fn to_docx(l: &Letter) -> std::io::Result<Vec<u8>> {
    let parts: [(&str, String); 9] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", ROOT_RELS.to_string()),
        ("word/document.xml", document_xml(l)),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
        ("word/styles.xml", styles_xml()),
        ("word/settings.xml", SETTINGS.to_string()),
        ("word/fontTable.xml", FONT_TABLE.to_string()),
        ("docProps/core.xml", core_xml(l)),
        ("docProps/app.xml", APP.to_string()),
    ];
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, text) in &parts {
        zip.start_file(*name, options).map_err(std::io::Error::other)?;
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(xml_text("a<b>&\"c\u{1}\u{7}d\n"), "a&lt;b&gt;&amp;&quot;cd ");
    }

    #[test]
    fn a_letter_is_a_zip_with_every_part() {
        let l = Letter {
            agency: "某局".into(),
            year: "2021".into(),
            title: "关于某局的审核意见".into(),
            blocks: vec![Block::Title("关于某局的审核意见".into()), Block::Para("正文 <1>".into())],
            confirmed: 0,
            corrections: 0,
            open: 0,
        };
        let bytes = to_docx(&l).unwrap();
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let names: Vec<String> = (0..z.len()).map(|i| z.by_index(i).unwrap().name().unwrap().to_string()).collect();
        assert_eq!(names[0], "[Content_Types].xml");
        for part in ["word/document.xml", "word/styles.xml", "_rels/.rels", "word/_rels/document.xml.rels", "docProps/core.xml"] {
            assert!(names.iter().any(|n| n == part), "{part} missing: {names:?}");
        }
        let mut doc = String::new();
        std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut doc).unwrap();
        assert!(doc.contains("正文 &lt;1&gt;") && doc.contains("w:w=\"11906\" w:h=\"16838\""));
    }
}
