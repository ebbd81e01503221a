//! Keys → actions: the defaults, a user override file, and the names shown in help.
//!
//! The user file is a small YAML mapping from action name to one key or a list of keys,
//! read from `$NIANBAO_KEYMAP` or `~/.config/nianbao/keys.yaml`:
//!
//! ```yaml
//! # action: key   or   action: [key, key]
//! next_open: Space
//! down: [j, Down, Ctrl-n]
//! confirm: y
//! ```
//!
//! Key names: a single character (`j`, `N`, `?`, `]`), or `Enter`, `Esc`, `Tab`, `BackTab`
//! (also `Shift-Tab`), `Space`, `Backspace`, `Delete`, `Up`, `Down`, `Left`, `Right`, `Home`,
//! `End`, `PageUp`, `PageDown`, `F1`…`F12`, with optional `Ctrl-` / `Alt-` prefixes.
//! Listing an action replaces its default keys; a key given to an action is taken away from
//! any other action. Unknown action or key names are reported and skipped, never fatal.
//! `Esc` always backs out of an open prompt whatever the key map says.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// A key with its modifiers, normalized so that lookups match what the terminal sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        // SHIFT is implied by the character itself ('N', '?') and by BackTab; terminals differ
        // in whether they report it, so it is dropped for those keys.
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        Key { code, mods }
    }

    pub fn plain(code: KeyCode) -> Key {
        Key::new(code, KeyModifiers::NONE)
    }

    pub fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::new(ev.code, ev.modifiers)
    }

    /// Parses a key name as written in the key-map file.
    pub fn parse(s: &str) -> Option<Key> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 2 && lower.starts_with("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.chars().count() > 2 && lower.starts_with("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else if lower == "shift-tab" {
                return Some(Key::new(KeyCode::BackTab, mods));
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        if let (Some(c), None) = (chars.next(), chars.clone().next()) {
            if c.is_control() {
                return None;
            }
            return Some(Key::new(KeyCode::Char(c), mods));
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            f if f.starts_with('f') => {
                let n: u8 = f[1..].parse().ok()?;
                if !(1..=12).contains(&n) {
                    return None;
                }
                KeyCode::F(n)
            }
            _ => return None,
        };
        Some(Key::new(code, mods))
    }

    /// The name shown in help and the command bar (parses back with [`Key::parse`]).
    pub fn display(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("Ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("Alt-");
        }
        match self.code {
            KeyCode::Char(' ') => s.push_str("Space"),
            KeyCode::Char(c) => s.push(c),
            KeyCode::Enter => s.push_str("Enter"),
            KeyCode::Esc => s.push_str("Esc"),
            KeyCode::Tab => s.push_str("Tab"),
            KeyCode::BackTab => s.push_str("Shift-Tab"),
            KeyCode::Backspace => s.push_str("Backspace"),
            KeyCode::Delete => s.push_str("Delete"),
            KeyCode::Up => s.push('↑'),
            KeyCode::Down => s.push('↓'),
            KeyCode::Left => s.push('←'),
            KeyCode::Right => s.push('→'),
            KeyCode::Home => s.push_str("Home"),
            KeyCode::End => s.push_str("End"),
            KeyCode::PageUp => s.push_str("PgUp"),
            KeyCode::PageDown => s.push_str("PgDn"),
            KeyCode::F(n) => s.push_str(&format!("F{n}")),
            _ => s.push('?'),
        }
        s
    }
}

/// The live key map: each action's keys in order, and the reverse lookup.
#[derive(Debug, Clone)]
pub struct KeyMap {
    bindings: Vec<(Action, Vec<Key>)>,
    lookup: HashMap<Key, Action>,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap::defaults()
    }
}

impl KeyMap {
    pub fn defaults() -> KeyMap {
        use KeyCode as K;
        let c = Key::ch;
        let p = Key::plain;
        let ctrl = |ch| Key::new(K::Char(ch), KeyModifiers::CONTROL);
        let mut bindings = vec![
            (Action::Down, vec![c('j'), p(K::Down)]),
            (Action::Up, vec![c('k'), p(K::Up)]),
            (Action::PageDown, vec![p(K::PageDown), ctrl('d')]),
            (Action::PageUp, vec![p(K::PageUp), ctrl('u')]),
            (Action::Top, vec![c('g'), p(K::Home)]),
            (Action::Bottom, vec![c('G'), p(K::End)]),
            (Action::Open, vec![p(K::Enter)]),
            (Action::FocusNext, vec![p(K::Tab)]),
            (Action::FocusPrev, vec![p(K::BackTab)]),
            (Action::NextField, vec![c(']')]),
            (Action::PrevField, vec![c('[')]),
            (Action::NextFinding, vec![c('}')]),
            (Action::PrevFinding, vec![c('{')]),
            (Action::NextOpen, vec![c('n')]),
            (Action::PrevOpen, vec![c('N')]),
            (Action::Edit, vec![c('e')]),
        ];
        for n in 1..=9u8 {
            bindings.push((Action::Settle(n), vec![c(char::from(b'0' + n))]));
        }
        for n in 1..=9u8 {
            bindings.push((Action::SettleCell(n), vec![Key::new(K::Char(char::from(b'0' + n)), KeyModifiers::ALT)]));
        }
        bindings.extend([
            (Action::Confirm, vec![c('c')]),
            (Action::Dismiss, vec![c('d')]),
            (Action::Undo, vec![c('u')]),
            (Action::EditRule, vec![c('r')]),
            (Action::Search, vec![c('/')]),
            (Action::CycleSort, vec![c('s')]),
            (Action::CycleSeverity, vec![c('f')]),
            (Action::CycleTemplate, vec![c('t')]),
            (Action::RuleFilter, vec![c('F')]),
            (Action::Overview, vec![c('o')]),
            (Action::Help, vec![c('?'), p(K::F(1))]),
            (Action::Back, vec![p(K::Esc)]),
            (Action::Quit, vec![c('q')]),
        ]);
        let mut km = KeyMap { bindings, lookup: HashMap::new() };
        km.rebuild();
        km
    }

    fn rebuild(&mut self) {
        self.lookup.clear();
        for (a, keys) in &self.bindings {
            for k in keys {
                self.lookup.entry(*k).or_insert(*a);
            }
        }
    }

    pub fn action(&self, key: Key) -> Option<Action> {
        self.lookup.get(&key).copied()
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, k)| k.as_slice())
            .unwrap_or(&[])
    }

    /// The keys of an action joined for display ("j/↓"); "" when unbound.
    pub fn keys_label(&self, action: Action) -> String {
        self.keys(action).iter().map(Key::display).collect::<Vec<_>>().join("/")
    }

    /// Every binding in help order.
    pub fn bindings(&self) -> &[(Action, Vec<Key>)] {
        &self.bindings
    }

    /// Applies a user key-map text over this map; returns the problems found (one per line).
    pub fn apply_yaml(&mut self, text: &str, origin: &str) -> Vec<String> {
        let mut problems = Vec::new();
        let map: Vec<(String, KeySpec)> = if text.trim().is_empty() {
            Vec::new()
        } else {
            let opts = serde_saphyr::options! { strict_booleans: true };
            match serde_saphyr::from_str_with_options::<ordered::OrderedMap>(text, opts) {
                Ok(m) => m.0,
                Err(e) => {
                    let first = e.to_string().lines().next().unwrap_or("").to_string();
                    problems.push(format!("{origin}: 按键文件格式错误：{first}"));
                    return problems;
                }
            }
        };
        for (name, spec) in map {
            let Some(action) = Action::from_name(name.trim()) else {
                problems.push(format!("{origin}: 未知动作 “{name}”"));
                continue;
            };
            let mut keys = Vec::new();
            for k in spec.into_vec() {
                match Key::parse(&k) {
                    Some(key) => keys.push(key),
                    None => problems.push(format!("{origin}: {name}: 未知按键 “{k}”")),
                }
            }
            if keys.is_empty() {
                continue;
            }
            for (a, ks) in &mut self.bindings {
                if *a != action {
                    ks.retain(|k| !keys.contains(k));
                }
            }
            if let Some((_, ks)) = self.bindings.iter_mut().find(|(a, _)| *a == action) {
                *ks = keys;
            }
        }
        self.rebuild();
        problems
    }

    /// Defaults plus the user's file, if any. Problems are returned for the status line.
    pub fn load_user() -> (KeyMap, Vec<String>) {
        let explicit = std::env::var_os("NIANBAO_KEYMAP").is_some();
        KeyMap::load_from(user_keymap_path().as_deref(), explicit)
    }

    /// Defaults plus the file at `path`. A missing file is a problem only when the reviewer
    /// named it (`explicit`); the default location may simply not exist.
    pub fn load_from(path: Option<&Path>, explicit: bool) -> (KeyMap, Vec<String>) {
        let mut km = KeyMap::defaults();
        let Some(path) = path else {
            return (km, Vec::new());
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let problems = km.apply_yaml(&text, &path.display().to_string());
                (km, problems)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => (km, Vec::new()),
            Err(e) => (km, vec![format!("{}: 无法读取按键文件：{e}", path.display())]),
        }
    }
}

/// `$NIANBAO_KEYMAP`, else `~/.config/nianbao/keys.yaml` (honouring `$XDG_CONFIG_HOME`).
pub fn user_keymap_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NIANBAO_KEYMAP") {
        return Some(PathBuf::from(p));
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(Path::new(&x).join("nianbao/keys.yaml"));
    }
    std::env::var_os("HOME").map(|h| Path::new(&h).join(".config/nianbao/keys.yaml"))
}

/// One key name or a list of them. Scalars are taken as written: `1` is the key "1", and
/// (with strict booleans) `y` is the key "y", not `true`.
struct KeySpec(Vec<String>);

impl KeySpec {
    fn into_vec(self) -> Vec<String> {
        self.0
    }
}

struct KeyName(String);

macro_rules! scalar_visits {
    () => {
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(self.wrap(v.to_string()))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(self.wrap(v.to_string()))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(self.wrap(v.to_string()))
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(self.wrap(v.to_string()))
        }
    };
}

impl<'de> serde::Deserialize<'de> for KeyName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl V {
            fn wrap(&self, s: String) -> KeyName {
                KeyName(s)
            }
        }
        impl serde::de::Visitor<'_> for V {
            type Value = KeyName;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key name")
            }
            scalar_visits!();
        }
        d.deserialize_any(V)
    }
}

impl<'de> serde::Deserialize<'de> for KeySpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl V {
            fn wrap(&self, s: String) -> KeySpec {
                KeySpec(vec![s])
            }
        }
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = KeySpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key name or a list of key names")
            }
            scalar_visits!();
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<KeySpec, A::Error> {
                let mut v = Vec::new();
                while let Some(KeyName(k)) = seq.next_element()? {
                    v.push(k);
                }
                Ok(KeySpec(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A YAML mapping read in file order (later entries win, as a reader expects).
mod ordered {
    use super::KeySpec;
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use std::fmt;

    pub struct OrderedMap(pub Vec<(String, KeySpec)>);

    impl<'de> Deserialize<'de> for OrderedMap {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = OrderedMap;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a mapping from action name to key or list of keys")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<OrderedMap, A::Error> {
                    let mut v = Vec::new();
                    while let Some((k, s)) = m.next_entry::<String, KeySpec>()? {
                        v.push((k, s));
                    }
                    Ok(OrderedMap(v))
                }
            }
            d.deserialize_map(V)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_the_spec_keys() {
        let km = KeyMap::defaults();
        assert_eq!(km.action(Key::ch('j')), Some(Action::Down));
        assert_eq!(km.action(Key::plain(KeyCode::Down)), Some(Action::Down));
        assert_eq!(km.action(Key::plain(KeyCode::Tab)), Some(Action::FocusNext));
        // Terminals report Shift-Tab as BackTab with SHIFT set.
        assert_eq!(km.action(Key::new(KeyCode::BackTab, KeyModifiers::SHIFT)), Some(Action::FocusPrev));
        assert_eq!(km.action(Key::new(KeyCode::Char('N'), KeyModifiers::SHIFT)), Some(Action::PrevOpen));
        assert_eq!(km.action(Key::ch('3')), Some(Action::Settle(3)));
        assert_eq!(km.action(Key::new(KeyCode::Char('3'), KeyModifiers::ALT)), Some(Action::SettleCell(3)));
        assert_eq!(km.action(Key::ch('?')), Some(Action::Help));
        assert_eq!(km.keys_label(Action::Down), "j/↓");
    }

    #[test]
    fn key_names_parse_and_display_round_trip() {
        for name in ["j", "N", "?", "Enter", "Esc", "Shift-Tab", "Space", "Ctrl-d", "Alt-x", "F5", "PageDown"] {
            let k = Key::parse(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(Key::parse(&k.display()), Some(k), "{name}");
        }
        assert_eq!(Key::parse("Down"), Some(Key::plain(KeyCode::Down)));
        assert_eq!(Key::parse("F13"), None);
        assert_eq!(Key::parse("Hyper-x"), None);
        assert_eq!(Key::parse(""), None);
    }

    #[test]
    fn user_file_overrides_and_reports_unknown_names() {
        let mut km = KeyMap::defaults();
        let problems = km.apply_yaml(
            "next_open: Space\ndown: [j, x]\nconfirm: d\nfly: z\nundo: Hyper-u\nsettle_1: 0\nhelp: [y, \"?\"]\n",
            "keys.yaml",
        );
        assert_eq!(km.action(Key::ch(' ')), Some(Action::NextOpen));
        assert_eq!(km.action(Key::ch('n')), None, "replaced default key is unbound");
        assert_eq!(km.action(Key::ch('x')), Some(Action::Down));
        // `d` moved from dismiss to confirm.
        assert_eq!(km.action(Key::ch('d')), Some(Action::Confirm));
        assert!(km.keys(Action::Dismiss).is_empty());
        // Undo keeps its default because its only key name was bad.
        assert_eq!(km.action(Key::ch('u')), Some(Action::Undo));
        // Scalars YAML would read as numbers or booleans are key names here.
        assert_eq!(km.action(Key::ch('0')), Some(Action::Settle(1)));
        assert_eq!(km.action(Key::ch('y')), Some(Action::Help));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("fly"));
        assert!(problems[1].contains("Hyper-u"));
    }

    #[test]
    fn load_from_reads_a_file_and_reports_a_missing_named_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys.yaml");
        std::fs::write(&path, "# 审核常用\nnext_open: Space\n").expect("write");
        let (km, problems) = KeyMap::load_from(Some(&path), true);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(km.action(Key::ch(' ')), Some(Action::NextOpen));
        let missing = dir.path().join("none.yaml");
        assert!(KeyMap::load_from(Some(&missing), false).1.is_empty());
        let (km, problems) = KeyMap::load_from(Some(&missing), true);
        assert_eq!(problems.len(), 1);
        assert_eq!(km.action(Key::ch('n')), Some(Action::NextOpen), "defaults stay");
    }

    #[test]
    fn malformed_file_is_reported_and_defaults_stay() {
        let mut km = KeyMap::defaults();
        let problems = km.apply_yaml("- just\n- a list\n", "k.yaml");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("k.yaml: 按键文件格式错误"), "{problems:?}");
        assert_eq!(km.action(Key::ch('j')), Some(Action::Down));
    }
}
