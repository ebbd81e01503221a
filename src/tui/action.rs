//! Everything a reviewer can ask for, as one flat enum (the key map binds keys to these).
//!
//! `App::step(&Action)` is the only thing that changes screen state, so every behaviour can be
//! tested by stepping actions without a terminal.

/// A bindable command. Text typed into a prompt is not an action: the prompt takes the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// On the list: quit. On a report: back to the list.
    Quit,
    /// Close help / clear the list search / back to the list.
    Back,
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    /// Open the selected report.
    Open,
    FocusNext,
    FocusPrev,
    NextField,
    PrevField,
    NextFinding,
    PrevFinding,
    /// Next open finding in any report (wraps), opening that report.
    NextOpen,
    PrevOpen,
    /// Correct the selected field.
    Edit,
    /// Settle the selected ambiguous cell's row with its reading 1..=9 (a field outside a table
    /// row: with its candidate 1..=9).
    Settle(u8),
    /// Settle only the selected ambiguous cell, with its candidate 1..=9.
    SettleCell(u8),
    Confirm,
    Dismiss,
    Undo,
    /// Open the rule behind the selected finding in `$VISUAL`/`$EDITOR`.
    EditRule,
    Help,
    Search,
    CycleSort,
    CycleSeverity,
    CycleTemplate,
    RuleFilter,
    /// The batch overview: findings by rule, reports by agency group and year, progress.
    Overview,
}

/// Help groups, in the order the help overlay shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Move,
    Report,
    Review,
    List,
    Other,
}

impl Group {
    pub fn label(self) -> &'static str {
        match self {
            Group::Move => "移动",
            Group::Report => "报告内",
            Group::Review => "审核",
            Group::List => "列表",
            Group::Other => "其他",
        }
    }
}

impl Action {
    /// Every action, in help order.
    pub fn all() -> Vec<Action> {
        let mut v = vec![
            Action::Down,
            Action::Up,
            Action::PageDown,
            Action::PageUp,
            Action::Top,
            Action::Bottom,
            Action::Open,
            Action::FocusNext,
            Action::FocusPrev,
            Action::NextField,
            Action::PrevField,
            Action::NextFinding,
            Action::PrevFinding,
            Action::NextOpen,
            Action::PrevOpen,
            Action::Edit,
        ];
        v.extend((1..=9).map(Action::Settle));
        v.extend((1..=9).map(Action::SettleCell));
        v.extend([
            Action::Confirm,
            Action::Dismiss,
            Action::Undo,
            Action::EditRule,
            Action::Search,
            Action::CycleSort,
            Action::CycleSeverity,
            Action::CycleTemplate,
            Action::RuleFilter,
            Action::Overview,
            Action::Help,
            Action::Back,
            Action::Quit,
        ]);
        v
    }

    /// The name used in the key-map file.
    pub fn name(self) -> String {
        let s = match self {
            Action::Quit => "quit",
            Action::Back => "back",
            Action::Down => "down",
            Action::Up => "up",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Open => "open",
            Action::FocusNext => "focus_next",
            Action::FocusPrev => "focus_prev",
            Action::NextField => "next_field",
            Action::PrevField => "prev_field",
            Action::NextFinding => "next_finding",
            Action::PrevFinding => "prev_finding",
            Action::NextOpen => "next_open",
            Action::PrevOpen => "prev_open",
            Action::Edit => "edit",
            Action::Settle(n) => return format!("settle_{n}"),
            Action::SettleCell(n) => return format!("settle_cell_{n}"),
            Action::Confirm => "confirm",
            Action::Dismiss => "dismiss",
            Action::Undo => "undo",
            Action::EditRule => "edit_rule",
            Action::Help => "help",
            Action::Search => "search",
            Action::CycleSort => "sort",
            Action::CycleSeverity => "filter_severity",
            Action::CycleTemplate => "filter_template",
            Action::RuleFilter => "filter_rule",
            Action::Overview => "overview",
        };
        s.to_string()
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::all().into_iter().find(|a| a.name() == name)
    }

    /// Chinese description for the help overlay and the command bar.
    pub fn description(self) -> String {
        let s = match self {
            Action::Quit => "退出 / 返回列表",
            Action::Back => "关闭 / 清除搜索 / 返回",
            Action::Down => "下移",
            Action::Up => "上移",
            Action::PageDown => "下翻页",
            Action::PageUp => "上翻页",
            Action::Top => "到顶",
            Action::Bottom => "到底",
            Action::Open => "打开报告",
            Action::FocusNext => "下一窗格",
            Action::FocusPrev => "上一窗格",
            Action::NextField => "下一字段",
            Action::PrevField => "上一字段",
            Action::NextFinding => "下一问题",
            Action::PrevFinding => "上一问题",
            Action::NextOpen => "跨报告下一未处理问题",
            Action::PrevOpen => "跨报告上一未处理问题",
            Action::Edit => "更正字段",
            Action::Settle(n) => return format!("选定第{n}种整行读法（非表格字段：第{n}个候选值）"),
            Action::SettleCell(n) => return format!("只选定本单元格的第{n}个候选值"),
            Action::Confirm => "确认问题",
            Action::Dismiss => "驳回问题",
            Action::Undo => "撤销上一操作",
            Action::EditRule => "编辑规则文件",
            Action::Help => "帮助",
            Action::Search => "搜索（列表中搜报告，报告内找字段）",
            Action::CycleSort => "切换排序",
            Action::CycleSeverity => "按严重程度筛选",
            Action::CycleTemplate => "按模板筛选",
            Action::RuleFilter => "按规则筛选",
            Action::Overview => "批次概览（按规则、分组年度、进度统计）",
        };
        s.to_string()
    }

    /// A two-to-four character label for the command bar.
    pub fn short(self) -> String {
        let s = match self {
            Action::Quit => "退出",
            Action::Back => "返回",
            Action::Down | Action::Up => "移动",
            Action::PageDown | Action::PageUp => "翻页",
            Action::Top => "到顶",
            Action::Bottom => "到底",
            Action::Open => "打开",
            Action::FocusNext | Action::FocusPrev => "窗格",
            Action::NextField | Action::PrevField => "字段",
            Action::NextFinding | Action::PrevFinding => "问题",
            Action::NextOpen | Action::PrevOpen => "下个未处理",
            Action::Edit => "更正",
            Action::Settle(_) => "选整行",
            Action::SettleCell(_) => "选本格",
            Action::Confirm => "确认",
            Action::Dismiss => "驳回",
            Action::Undo => "撤销",
            Action::EditRule => "改规则",
            Action::Help => "帮助",
            Action::Search => "搜索",
            Action::CycleSort => "排序",
            Action::CycleSeverity => "严重度",
            Action::CycleTemplate => "模板",
            Action::RuleFilter => "规则",
            Action::Overview => "概览",
        };
        s.to_string()
    }

    pub fn group(self) -> Group {
        match self {
            Action::Down
            | Action::Up
            | Action::PageDown
            | Action::PageUp
            | Action::Top
            | Action::Bottom
            | Action::Open
            | Action::NextOpen
            | Action::PrevOpen => Group::Move,
            Action::FocusNext
            | Action::FocusPrev
            | Action::NextField
            | Action::PrevField
            | Action::NextFinding
            | Action::PrevFinding => Group::Report,
            Action::Edit
            | Action::Settle(_)
            | Action::SettleCell(_)
            | Action::Confirm
            | Action::Dismiss
            | Action::Undo
            | Action::EditRule => Group::Review,
            Action::Search
            | Action::CycleSort
            | Action::CycleSeverity
            | Action::CycleTemplate
            | Action::RuleFilter
            | Action::Overview => Group::List,
            Action::Help | Action::Back | Action::Quit => Group::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let all = Action::all();
        let mut names: Vec<String> = all.iter().map(|a| a.name()).collect();
        for a in &all {
            assert_eq!(Action::from_name(&a.name()), Some(*a));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert_eq!(Action::from_name("settle_3"), Some(Action::Settle(3)));
        assert_eq!(Action::from_name("settle_0"), None);
    }
}
