//! The real terminal: raw mode and the alternate screen, the event loop, the editor hand-off,
//! and restoring the terminal on every exit, panics included.

use std::io::{self, Stdout};
use std::path::Path;
use std::process::Command;
use std::sync::Once;
use std::time::Duration;

use crossterm::event::{self, Event};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::app::{App, EditorRequest};
use super::backend::ReviewBackend;
use super::keymap::KeyMap;
use super::render;

type Term = Terminal<CrosstermBackend<Stdout>>;

/// How long the loop waits for a key before taking in background results.
const TICK: Duration = Duration::from_millis(50);

/// `NO_COLOR` set to anything but "" turns colours off (https://no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
}

/// Restores the terminal before the previous panic hook prints the message. Installed once.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Restores the terminal when dropped, so early returns and `?` restore too.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

fn enter() -> io::Result<Term> {
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen)?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Runs the reviewer on the real terminal until the reviewer quits.
pub fn run(backend: Box<dyn ReviewBackend>) -> anyhow::Result<()> {
    let (keymap, problems) = KeyMap::load_user();
    let mut app = App::new(backend, keymap);
    app.no_color = no_color_requested();
    if !problems.is_empty() {
        app.set_error(format!("按键设置有误（已忽略）：{}", problems.join("；")));
    }
    install_panic_hook();
    let _guard = Guard;
    let mut term = enter()?;
    event_loop(&mut term, &mut app)
}

fn event_loop(term: &mut Term, app: &mut App) -> anyhow::Result<()> {
    let mut dirty = true;
    loop {
        if dirty {
            term.draw(|f| render::draw(f, app))?;
            dirty = false;
        }
        if app.quit {
            return Ok(());
        }
        if let Some(req) = app.editor.clone() {
            let result = run_editor(term, &req);
            app.editor_finished(result);
            dirty = true;
            continue;
        }
        if event::poll(TICK)? {
            // Take every queued event before drawing once: key repeat must not lag.
            loop {
                match event::read()? {
                    Event::Key(k) => app.handle_key(k),
                    Event::Paste(s) => app.type_text(&s),
                    Event::Resize(..) => term.autoresize()?,
                    _ => {}
                }
                dirty = true;
                if app.quit || app.editor.is_some() || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        if app.tick() {
            dirty = true;
        }
    }
}

/// The editor command: `$VISUAL`, else `$EDITOR`, else `vi`; words split on whitespace
/// (so `EDITOR="code -w"` works), then `+LINE` and the path.
pub fn editor_command(visual: Option<&str>, editor: Option<&str>, path: &Path, line: usize) -> (String, Vec<String>) {
    let cmd = [visual, editor]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or("vi");
    let mut words = cmd.split_whitespace().map(str::to_string);
    let prog = words.next().unwrap_or_else(|| "vi".to_string());
    let mut args: Vec<String> = words.collect();
    args.push(format!("+{}", line.max(1)));
    args.push(path.to_string_lossy().into_owned());
    (prog, args)
}

/// Leaves the alternate screen, runs the editor in the foreground, and comes back.
fn run_editor(term: &mut Term, req: &EditorRequest) -> Result<(), String> {
    let visual = std::env::var("VISUAL").ok();
    let editor = std::env::var("EDITOR").ok();
    let (prog, args) = editor_command(visual.as_deref(), editor.as_deref(), &req.path, req.line);
    restore();
    let status = Command::new(&prog).args(&args).status();
    let back = enable_raw_mode().and_then(|_| execute!(io::stdout(), EnterAlternateScreen)).and_then(|_| term.clear());
    if let Err(e) = back {
        return Err(format!("无法恢复终端：{e}"));
    }
    match status {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("{prog}：{e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_command_prefers_visual_then_editor_then_vi() {
        let p = Path::new("rules/checks.yaml");
        assert_eq!(
            editor_command(Some("nvim"), Some("nano"), p, 12),
            ("nvim".to_string(), vec!["+12".to_string(), "rules/checks.yaml".to_string()])
        );
        assert_eq!(editor_command(Some(" "), Some("code -w"), p, 0).1, vec!["-w", "+1", "rules/checks.yaml"]);
        assert_eq!(editor_command(None, None, p, 3).0, "vi");
    }
}
