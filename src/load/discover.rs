//! Paths named on the command line → the report files to load.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::LoadError;

/// Extensions a folder contributes (any case). A file named explicitly is taken whatever its
/// extension.
const REPORT_EXTENSIONS: &[&str] = &["txt", "html", "htm", "docx", "doc", "wps", "pdf"];

/// Expands files and folders into report files (text, HTML, Word .docx and legacy .doc / .wps, PDF).
///
/// Arguments keep their order; each folder is walked recursively in file-name order, so the
/// result is the same on every run and every platform. Folders contribute `.txt`, `.html`,
/// `.htm`, `.docx`, `.doc`, `.wps` and `.pdf` files (case-insensitive), skipping hidden entries (names starting with '.'); a file
/// named explicitly is always taken. A file reached twice (named and inside a named folder, or
/// through a symlink) is listed once, and symlinked folders are walked once, so loops end.
/// Missing paths and unreadable folders come back as errors paired with their path; they never
/// stop the others.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, LoadError)>) {
    let mut walk = Walk::default();
    for path in paths {
        match fs::metadata(path) {
            Err(e) => walk.errors.push((path.clone(), LoadError::from_io(&e))),
            Ok(meta) if meta.is_dir() => walk.folder(path),
            Ok(meta) if meta.is_file() => walk.file(path),
            Ok(_) => walk.errors.push((path.clone(), LoadError::NotAFile)),
        }
    }
    (walk.files, walk.errors)
}

#[derive(Default)]
struct Walk {
    files: Vec<PathBuf>,
    errors: Vec<(PathBuf, LoadError)>,
    /// Canonical paths of files taken and folders entered.
    seen: HashSet<PathBuf>,
}

impl Walk {
    fn file(&mut self, path: &Path) {
        let key = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.seen.insert(key) {
            self.files.push(path.to_path_buf());
        }
    }

    fn folder(&mut self, dir: &Path) {
        let key = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !self.seen.insert(key) {
            return;
        }
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.errors
                    .push((dir.to_path_buf(), LoadError::from_io(&e)));
                return;
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => names.push(entry.file_name()),
                Err(e) => self
                    .errors
                    .push((dir.to_path_buf(), LoadError::from_io(&e))),
            }
        }
        names.sort();
        for name in names {
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = dir.join(&name);
            // Follows symlinks; a broken one is reported like a missing file.
            match fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => self.folder(&path),
                Ok(meta) if meta.is_file() => {
                    if has_report_extension(&path) {
                        self.file(&path);
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    if has_report_extension(&path) {
                        self.errors.push((path, LoadError::from_io(&e)));
                    }
                }
            }
        }
    }
}

fn has_report_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| REPORT_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}
