use super::*;

#[test]
fn dump_template() {
    let bytes = std::fs::read("../shared/corpus/docx/2021-format-template.docx").unwrap();
    let e = read_docx(&bytes).unwrap();
    println!("{}", &e.text);
    for t in &e.tables {
        println!("--- {} rows x {} cols header {}", t.rows.len(), t.columns(), t.header_rows);
        for r in &t.rows {
            println!("{}", r.iter().map(|c| if c.blank { "_".to_string() } else if c.merged { format!("<{}>", c.text) } else { c.text.clone() }).collect::<Vec<_>>().join(" | "));
        }
    }
}
