use super::*;
use std::path::PathBuf;

fn read_text(text: &str) -> (Claims, Fields) {
    let rules = RuleSet::builtin();
    let doc = Document::from_bytes(PathBuf::from("x.txt"), text.as_bytes()).unwrap();
    let crate::extract::Extraction { fields, claims, .. } = crate::extract::extract_full(&doc, &rules, &Default::default());
    (claims, fields)
}

fn whole(c: &Claims, value: f64) -> (&Claim, Vec<f64>, ListKind) {
    let w = c.list.iter().find(|x| x.value == value && matches!(x.role, Role::Whole { .. })).unwrap_or_else(|| panic!("no whole {value} in {c:#?}"));
    let Role::Whole { parts, list } = &w.role else { unreachable!() };
    (w, parts.iter().map(|p| c.list[*p].value).collect(), *list)
}

#[test]
fn a_whole_and_its_parts_after_qiizhong_with_a_nested_list() {
    // pingtan 2019: 380 = 152 + 197 + 27 + 4, and 197 = 32 + 165 in parentheses.
    let (c, _) = read_text("今年共发布380条财政资金信息，其中专项资金152条，预决算公开197条（政府预决算32条、部门预决算公开165条）、“三公”经费27条、债券发行4条。");
    let (_, parts, list) = whole(&c, 380.0);
    assert_eq!(parts, [152.0, 197.0, 27.0, 4.0]);
    assert_eq!(list, ListKind::Unmarked);
    let (_, parts, _) = whole(&c, 197.0);
    assert_eq!(parts, [32.0, 165.0]);
}

#[test]
fn other_closes_a_list_and_deng_leaves_it_open() {
    let (c, _) = read_text("主动公开政府信息3460条，其中机构职能类信息612条，其他应主动公开的信息2848条。");
    assert_eq!(whole(&c, 3460.0).2, ListKind::Closed);
    let (c, _) = read_text("主动公开政府信息3460条，其中机构职能类信息612条、规划计划类信息59条等。");
    assert_eq!(whole(&c, 3460.0).2, ListKind::Open);
}

#[test]
fn a_total_after_its_parts_and_a_sentence_that_opens_with_qizhong() {
    let (c, _) = read_text("网站发布120条，微信发布80条，合计200条。");
    let (_, parts, list) = whole(&c, 200.0);
    assert_eq!((parts, list), (vec![120.0, 80.0], ListKind::Closed));
    // pingtan 2016: the parts follow in a sentence of their own, with shares.
    let (c, _) = read_text("2016年全区主动公开政府信息3460条。其中，区管委会及区直各部门主动公开政府信息1822条，占53%；各乡镇主动公开政府信息1638条，占47%。");
    assert_eq!(whole(&c, 3460.0).1, [1822.0, 1638.0]);
    let shares: Vec<&Claim> = c.list.iter().filter(|x| matches!(x.role, Role::Share { base: Some(_), .. })).collect();
    assert_eq!(shares.len(), 2);
}

#[test]
fn concepts_scopes_and_qualifiers() {
    let (c, f) = read_text("本年度全区共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理。通过政府门户网站累计主动公开政府信息7700余条。");
    let concept = |v: f64| c.list.iter().find(|x| x.value == v).and_then(|x| x.concept.clone());
    assert_eq!(concept(70.0).as_deref(), Some("apply.received"));
    assert_eq!(concept(69.0).as_deref(), Some("apply.closed"));
    assert_eq!(concept(1.0).as_deref(), Some("apply.carry_next"));
    let big = c.list.iter().find(|x| x.value == 7700.0).unwrap();
    assert_eq!(big.qualifier, Qualifier::More, "余 makes it a bound");
    assert_eq!(big.scope.as_ref().map(|s| s.0.as_str()), Some("channel"));
    assert_eq!(f["narr.apply.received"].value, Some(Value::Int(70)));
    assert!(!f.contains_key("narr.active.total"), "a bound is not an exact field");
}

#[test]
fn a_second_value_for_the_same_concept_is_its_own_field() {
    let (_, f) = read_text("全年共收到政府信息公开申请46件。……今年收到政府信息公开申请64件。");
    assert_eq!(f["narr.apply.received"].value, Some(Value::Int(46)));
    assert_eq!(f["narr.apply.received.2"].value, Some(Value::Int(64)));
}

#[test]
fn set_statements_are_read_near_their_subject() {
    let (c, f) = read_text("发生行政复议案件2件，均获维持。六、其他需要报告的事项 本机关未收取信息处理费。");
    assert!(f.contains_key("narr.says.review.all_upheld"));
    assert!(f.contains_key("narr.says.fee.none"));
    assert!(c.said.iter().any(|s| s.id == "fee.none"));
    let (_, f) = read_text("办结率100%，均获好评。");
    assert!(!f.contains_key("narr.says.review.all_upheld"));
}

#[test]
fn table_captions_and_article_numbers_are_not_claims() {
    let (c, _) = read_text("（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）依据条例第32条，收到申请5件。");
    assert!(c.list.iter().all(|x| x.value != 1.0 && x.value != 32.0), "{c:#?}");
}

#[test]
fn odd_input_never_panics() {
    for t in [
        "条",
        "）））100条（（（其中5条",
        "共100条，其中",
        "1234567890123456789012条",
        "１２条，其中３条、４条，合计７条",
        "1,234条，其中1,000条、234条。",
        "5\n\n条，其中\n\n3条",
        "占%，占5%，100%",
        "其中。其中。其中3条、4条等",
        "数1402。数5，",
    ] {
        let _ = read_text(t);
    }
    let (c, _) = read_text("１２条，其中３条、４条，合计７条");
    assert!(c.list.iter().any(|x| x.value == 12.0 && matches!(x.role, Role::Whole { .. })));
    let (c, _) = read_text("公开信息1,234条，其中网站1,000条、公报234条。");
    assert_eq!(whole(&c, 1234.0).1, [1000.0, 234.0]);
}

#[test]
fn a_unitless_last_part_takes_the_lists_unit() {
    // pingtan 2011: "…作为依申请公开信息数46条，不予公开信息数1402。"
    let (c, _) = read_text("2011年制作、获取政府信息总数1873条，其中主动公开政府信息425条，作为依申请公开信息数46条，不予公开信息数1402。");
    let (_, parts, _) = whole(&c, 1873.0);
    assert_eq!(parts, [425.0, 46.0, 1402.0]);
}

#[test]
fn shares_of_a_sentence_total_are_marked_as_not_listed() {
    let (c, _) = read_text("全年共受理政府信息公开申请286件，予以公开118件，占41.3%。");
    let s = c.list.iter().find(|x| x.unit == "%").unwrap();
    assert!(matches!(s.role, Role::Share { base: Some(_), listed: false, .. }), "{s:?}");
}

#[test]
fn listed_outcomes_take_the_part_concepts_of_their_whole() {
    // 淮安 2024: the 复议 and 诉讼 outcomes in one sentence each.
    let (_, f) = read_text("全市共办理政府信息公开行政复议351件，其中结果维持72件、结果纠正64件、其他结果178件、尚未审结37件；政府信息公开行政诉讼46件，其中结果维持25件、结果纠正5件、其他结果9件、尚未审结7件。");
    let v = |id: &str| f.get(id).and_then(|x| x.value.clone());
    assert_eq!(v("narr.review.total"), Some(Value::Int(351)));
    assert_eq!(v("narr.review.other"), Some(Value::Int(178)));
    assert_eq!(v("narr.review.pending"), Some(Value::Int(37)));
    assert_eq!(v("narr.suit.total"), Some(Value::Int(46)));
    assert_eq!(v("narr.suit.corrected"), Some(Value::Int(5)));
}

#[test]
fn the_same_whole_stated_twice_is_one_finding() {
    let rules = RuleSet::builtin();
    let s = "全年主动公开政府信息2210条，其中网站1680条、公报620条。";
    let text = format!("{s}……{s}");
    let doc = Document::from_bytes(PathBuf::from("x.txt"), text.as_bytes()).unwrap();
    let a = crate::pipeline::audit_document(&doc, &rules, None, None);
    let over: Vec<_> = a.findings.iter().filter(|f| f.rule == "narr.parts-over").collect();
    assert_eq!(over.len(), 1, "{over:#?}");
    assert_eq!(over[0].severity, crate::model::Severity::Error);
    assert!(over[0].message.contains("2300"), "{}", over[0].message);
    assert_eq!(a.claims.list.iter().filter(|c| c.value == 2210.0).count(), 2, "both statements are claims");
}

/// Every report under `../shared/corpus` and `../shared/seeds` (text files), for comparing fast
/// paths with the plain ones.
fn corpus_texts() -> Vec<String> {
    crate::testing::corpus_text_files()
}

#[test]
fn the_scope_shortcut_finds_what_the_word_by_word_search_finds() {
    let rules = RuleSet::builtin();
    assert!(rules.lexicon.scope_words.is_some());
    let mut plain = rules.lexicon.clone();
    plain.scope_words = None;
    plain.whole_scope_words = None;
    let texts = corpus_texts();
    assert!(!texts.is_empty(), "../shared/corpus holds the real reports");
    let (mut clauses, mut scoped) = (0, 0);
    for t in &texts {
        // The clause before every figure, as `read` cuts it, and before every character.
        let ends = rules.lexicon.token.find_iter(t).map(|m| m.start()).chain(t.char_indices().map(|(i, _)| i));
        for end in ends {
            let from = ceil(t, end.saturating_sub(SCOPE_WINDOW));
            let clause = &t[from..end];
            let clause = clause.rfind(['，', ',', '；', ';', '：', ':']).map_or(clause, |i| &clause[i..]);
            let fast = scope_of(&rules.lexicon, clause);
            assert_eq!(fast, scope_of(&plain, clause), "{clause}");
            clauses += 1;
            scoped += fast.is_some() as usize;
        }
    }
    // Both kinds were compared.
    assert!(clauses > 10_000 && scoped > 1000, "{clauses} clauses, {scoped} with a scope");
}

/// The label as it was cut before `label_of`: a string without whitespace, its opening
/// punctuation trimmed, the last 16 characters, their opening punctuation trimmed.
fn label_plain(before: &str) -> String {
    let flat: String = before.split_whitespace().collect();
    let chars: Vec<char> = flat.trim_start_matches(['，', ',', '、', '；', ';', '：', ':', '(', '（', '。']).chars().collect();
    let cut: String = chars[chars.len().saturating_sub(16)..].iter().collect();
    cut.trim_start_matches(['，', ',', '、', '；', ';', '：', ':', '。']).to_string()
}

#[test]
fn labels_are_cut_as_the_string_building_cut_them() {
    let mut buf = Vec::new();
    let mut n = 0;
    for t in corpus_texts() {
        let bounds: Vec<usize> = t.char_indices().map(|(i, _)| i).step_by(3).collect();
        for &end in &bounds {
            for back in [6, 30, WINDOW] {
                let before = &t[ceil(&t, end.saturating_sub(back))..end];
                assert_eq!(label_of(before, &mut buf), label_plain(before), "{before:?}");
                n += 1;
            }
        }
    }
    for before in ["", "，", "，，。", "  ，a", "，、；abc", "一二三四五六七八九十一二三四五六七，八", "，一二三四五六七八九十一二三四五六", "\n\u{3000}，  ，x"] {
        assert_eq!(label_of(before, &mut buf), label_plain(before), "{before:?}");
    }
    assert!(n > 10_000, "{n}");
}

#[test]
fn figure_values_are_those_of_parsing_the_joined_digits() {
    let plain = |d: &str, frac: &str| format!("{d}{}{frac}", if frac.is_empty() { "" } else { "." }).parse::<f64>().ok();
    let mut rng = crate::testing::Rng(0xf16_u64 << 20 | 7);
    for _ in 0..50_000 {
        let len = rng.below(16) as usize;
        let d: String = (0..len).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
        let flen = if rng.below(3) == 0 { rng.below(4) as usize } else { 0 };
        let frac: String = (0..flen).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
        assert_eq!(figure_value(&d, &frac).map(f64::to_bits), plain(&d, &frac).map(f64::to_bits), "{d}.{frac}");
    }
    for (d, frac) in [("999999999999999", ""), ("000000000000001", ""), ("0", ""), ("", ""), ("12", "50")] {
        assert_eq!(figure_value(d, frac).map(f64::to_bits), plain(d, frac).map(f64::to_bits), "{d}.{frac}");
    }
}

#[test]
fn every_whitespace_character_may_be_a_space() {
    let mut n = 0;
    for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|c| c.is_whitespace()) {
        assert!(may_hold_space(&format!("甲{c}乙")), "{:X}", c as u32);
        n += 1;
    }
    assert!(n >= 25);
    assert!(!may_hold_space("主动公开政府信息“三公”—，。、（）"));
}

/// The statements as they were read before the search skipped sentences: every match of each
/// pattern in turn, the first whose sentence passes.
fn statements_plain(doc: &Document, lx: &Lexicon, starts: &[usize]) -> Vec<Said> {
    let text: &str = &doc.text;
    let mut out = Vec::new();
    for st in &lx.statements {
        for m in st.pattern.find_iter(text) {
            let si = starts.partition_point(|&s| s <= m.start()).saturating_sub(1);
            let s = &text[starts[si]..starts.get(si + 1).copied().unwrap_or(text.len())];
            if !st.near.is_empty() && !st.near.iter().any(|w| s.contains(w.as_str())) {
                continue;
            }
            if st.unless.iter().any(|w| s.contains(w.as_str())) {
                continue;
            }
            out.push(Said { id: st.id.clone(), text: m.as_str().to_string(), span: doc.span(m.start(), m.end()) });
            break;
        }
    }
    out
}

#[test]
fn statements_are_those_of_the_search_over_every_match() {
    let rules = RuleSet::builtin();
    let lx = &rules.lexicon;
    assert!(lx.statements.iter().all(|s| s.resyncs), "the built-in statements take the short way");
    let mut plain_lx = lx.clone();
    for s in &mut plain_lx.statements {
        s.resyncs = false;
    }
    // The near words found one by one rather than by the automaton.
    let mut by_word = lx.clone();
    by_word.near_words = None;
    let mut texts = corpus_texts();
    // Statements next to, inside and across the sentences that name their words.
    texts.extend([
        "行政复议2件。均维持。本年度行政复议1件，均获维持。".to_string(),
        "均获维持。行政复议，行政诉讼败诉。全部维持行政复议。".to_string(),
        "无信息处理费。收取费用0元！未收取费用，收取\n\n费用为零。".to_string(),
        "行政复议行政复议。".repeat(3),
    ]);
    let (mut said, mut n) = (0, 0);
    for t in &texts {
        let doc = Document::from_bytes(PathBuf::from("x.txt"), t.as_bytes()).unwrap();
        let starts = sentence_starts(&doc.text);
        let fast = statements(&doc, lx, &starts);
        assert_eq!(fast, statements_plain(&doc, &plain_lx, &starts), "{}", t.chars().take(60).collect::<String>());
        assert_eq!(statements(&doc, &plain_lx, &starts), fast);
        assert_eq!(statements(&doc, &by_word, &starts), fast);
        said += fast.len();
        n += 1;
    }
    assert!(n > 12 && said > 10, "{n} texts, {said} statements");
}

#[test]
fn a_search_resyncs_after_a_full_stop_only_when_no_match_can_hold_one() {
    for (p, yes) in [
        ("均(?:获|被)?维持", true),
        ("无[^。；;]{0,12}?收费", true),
        ("x\\s*y", true),
        ("a。b", false),
        ("[^；]+", false),
        (".", false),
        ("x*", false),
        ("(?i)ab|c", true),
        ("(", false),
    ] {
        assert_eq!(resyncs_after_full_stop(p), yes, "{p}");
    }
}
