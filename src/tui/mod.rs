//! The reviewer screens (ratatui): report list, report view, prompts, help.
//!
//! - [`backend`]: the [`ReviewBackend`] trait, the only way the screens reach the engine.
//! - [`action`] and [`keymap`]: every command is an [`Action`]; keys map to actions.
//! - [`app`]: screen state; [`App::step`] applies an action. No terminal needed.
//! - [`index`]: per-entry facts (counts, sort keys, search text) cached per audit.
//! - [`overview`]: batch aggregates for the overview screen, kept as running totals.
//! - [`render`]: draws an [`App`] on any ratatui backend (tests use `TestBackend`).
//! - [`terminal`]: the real terminal, the event loop and [`run`].
//! - [`testing`]: an in-memory backend for tests and benchmarks.

pub mod action;
pub mod app;
pub mod backend;
pub mod keymap;
pub mod index;
pub mod overview;
pub mod render;
pub mod terminal;
pub mod testing;
pub mod text;

pub use action::Action;
pub use app::App;
pub use backend::{Entry, ReviewBackend};
pub use keymap::KeyMap;
pub use terminal::run;
#[cfg(test)]
mod tests;
