//! nianbao: audit Chinese government information disclosure annual reports (政府信息公开工作年度报告).
//!
//! The data path: `load` (bytes → Document) → `extract` (rules → Fields; `claims` reads the
//! prose's figures after sectioning) → `journal` (corrections
//! replayed) → `check` (rules → Findings) → `journal` (decisions attached) → `output` / `tui`.
//! `pipeline` strings the stages together; see ARCHITECTURE.md.

pub mod check;
pub mod claims;
pub mod cli;
pub mod export;
pub mod expr;
pub mod extract;
pub mod journal;
pub mod letter;
pub mod link;
pub mod load;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod rules;
pub mod session;
pub mod summary;
pub mod text;
#[cfg(test)]
mod testing;
pub mod tui;
