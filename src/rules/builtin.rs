//! The default rule pack, compiled into the binary so the tool works from any folder.
//! `nianbao rules init DIR` writes these same files out for editing.

pub const FILES: &[(&str, &str)] = &[
    ("README.md", include_str!("../../rules/README.md")),
    ("fields.yaml", include_str!("../../rules/fields.yaml")),
    ("sections.yaml", include_str!("../../rules/sections.yaml")),
    ("tables.yaml", include_str!("../../rules/tables.yaml")),
    ("lexicon.yaml", include_str!("../../rules/lexicon.yaml")),
    ("deadlines.yaml", include_str!("../../rules/deadlines.yaml")),
    ("letter/opinion.txt", include_str!("../../rules/letter/opinion.txt")),
    ("checks/meta.yaml", include_str!("../../rules/checks/meta.yaml")),
    ("checks/structure.yaml", include_str!("../../rules/checks/structure.yaml")),
    ("checks/table3.yaml", include_str!("../../rules/checks/table3.yaml")),
    ("checks/table4.yaml", include_str!("../../rules/checks/table4.yaml")),
    ("checks/legacy.yaml", include_str!("../../rules/checks/legacy.yaml")),
    ("checks/text.yaml", include_str!("../../rules/checks/text.yaml")),
    ("checks/narrative.yaml", include_str!("../../rules/checks/narrative.yaml")),
    ("checks/quality.yaml", include_str!("../../rules/checks/quality.yaml")),
    ("checks/extract.yaml", include_str!("../../rules/checks/extract.yaml")),
    ("checks/cross.yaml", include_str!("../../rules/checks/cross.yaml")),
];
