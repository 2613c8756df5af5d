//! The `CostTags` cell: a spreadsheet-friendly way to write Cost Explorer tag filters.
//!
//! ```text
//! Environment=production                    tag Environment is "production"
//! Team=payments,billing                     Team is "payments" OR "billing"
//! Environment=production; Team=payments     both (clauses separated by ';' or a new line are ANDed)
//! !CostCenter                               resources WITHOUT a CostCenter tag
//! Project="a,b; c"                          quote values that contain , ; = ! or "
//! Name="say ""hi"""                         a quote inside quotes is doubled, as in CSV
//! ```
//!
//! Spaces around keys and values are ignored; full-width `＝ ； ， 、 ！ ＂` and curly quotes
//! count as their ASCII forms, so a cell typed with a Japanese input method still works. Keys
//! and values themselves are kept exactly as typed: Cost Explorer compares them exactly.
//!
//! An empty cell means "no tag filter of its own" (inherited from the OU or Default row); the
//! row layer also accepts `-` (or `none`) to clear an inherited filter. Both are handled in
//! [`crate::rows`], this module parses and prints a non-empty filter.

use std::fmt;
use std::str::FromStr;

use serde_json::{json, Value};

use crate::model::{AccountId, TagClause, TagFilter, TagMatch};

/// Cost Explorer's (and AWS tagging's) limits.
pub const MAX_TAG_KEY_CHARS: usize = 128;
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// Why a `CostTags` cell could not be read, and how to write it instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostTagsError {
    pub message: String,
    pub fix: String,
}

impl fmt::Display for CostTagsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; fix: {}", self.message, self.fix)
    }
}

impl std::error::Error for CostTagsError {}

fn error(message: impl Into<String>, fix: impl Into<String>) -> CostTagsError {
    CostTagsError {
        message: message.into(),
        fix: fix.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Text { text: String, quoted: bool },
    Equals,
    Comma,
    Bang,
    ClauseEnd,
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '＂' | '“' | '”')
}

/// The ASCII syntax character a (possibly full-width) character stands for, outside quotes.
fn syntax_char(c: char) -> Option<char> {
    match c {
        '=' | '＝' => Some('='),
        ';' | '；' | '\n' | '\r' => Some(';'),
        ',' | '，' | '、' => Some(','),
        '!' | '！' => Some('!'),
        _ => None,
    }
}

fn tokenize(cell: &str) -> Result<Vec<Token>, CostTagsError> {
    let mut tokens = Vec::new();
    let mut bare = String::new();
    let mut chars = cell.chars().peekable();
    // After a closing quote only spaces and syntax may follow (`"a"b` is a typo, not a value).
    let mut after_quote = false;

    fn flush(bare: &mut String, tokens: &mut Vec<Token>) {
        let text = bare.trim();
        if !text.is_empty() {
            tokens.push(Token::Text {
                text: text.to_owned(),
                quoted: false,
            });
        }
        bare.clear();
    }

    while let Some(c) = chars.next() {
        if let Some(syntax) = syntax_char(c) {
            flush(&mut bare, &mut tokens);
            after_quote = false;
            tokens.push(match syntax {
                '=' => Token::Equals,
                ',' => Token::Comma,
                '!' => Token::Bang,
                _ => Token::ClauseEnd,
            });
        } else if is_quote(c) {
            if !bare.trim().is_empty() || after_quote {
                return Err(error(
                    format!("a quote in the middle of {:?}", format!("{}{c}", bare.trim())),
                    "quote the whole key or value (Project=\"a,b\"); write a quote inside quotes twice (\"\")",
                ));
            }
            bare.clear();
            let mut text = String::new();
            loop {
                match chars.next() {
                    None => {
                        return Err(error(
                            format!("the quote before {text:?} is never closed"),
                            "add the closing quote (\")",
                        ))
                    }
                    Some(q) if is_quote(q) => {
                        if chars.peek().copied().is_some_and(is_quote) {
                            chars.next();
                            text.push('"');
                        } else {
                            break;
                        }
                    }
                    Some(other) => text.push(other),
                }
            }
            tokens.push(Token::Text { text, quoted: true });
            after_quote = true;
        } else if after_quote {
            if !c.is_whitespace() {
                return Err(error(
                    format!("text {c:?} right after a closing quote"),
                    "put the whole value inside the quotes, or separate it with ',' or ';'",
                ));
            }
        } else {
            bare.push(c);
        }
    }
    flush(&mut bare, &mut tokens);
    Ok(tokens)
}

fn check_key(key: &str) -> Result<(), CostTagsError> {
    if key.is_empty() {
        return Err(error(
            "a clause has no tag key",
            "write the key before '=' (Environment=production)",
        ));
    }
    if let Some(plain) = key.strip_prefix("user:") {
        return Err(error(
            format!("tag key {key:?} has the \"user:\" prefix of billing reports"),
            format!("Cost Explorer filters use the key without it: write {plain}"),
        ));
    }
    if key.chars().count() > MAX_TAG_KEY_CHARS {
        return Err(error(
            format!("tag key {key:?} is longer than {MAX_TAG_KEY_CHARS} characters"),
            "use the tag key exactly as it is on the resources",
        ));
    }
    Ok(())
}

fn parse_clause(tokens: &[Token]) -> Result<TagClause, CostTagsError> {
    let shown = describe(tokens);
    // Keys in fixes are written the way they must be typed (quoted when needed).
    let key_of = |text: &str| quote_if_needed(text);
    match tokens {
        [Token::Bang, Token::Text { text: key, .. }] => {
            check_key(key)?;
            Ok(TagClause {
                key: key.clone(),
                matches: TagMatch::Absent,
            })
        }
        [Token::Bang, Token::Text { text: key, .. }, ..] => Err(error(
            format!(
                "{shown:?}: !{k} selects resources without the tag and takes no value",
                k = key_of(key)
            ),
            format!(
                "write just !{k}, or {k}=value to match a value",
                k = key_of(key)
            ),
        )),
        [Token::Bang, ..] => Err(error(
            format!("{shown:?}: '!' must be followed by a tag key"),
            "write !Key for resources without the tag Key",
        )),
        [Token::Text { text: key, .. }] => Err(error(
            format!("{shown:?} has no '='"),
            format!(
                "write {k}=value to match a value, or !{k} for resources without the tag",
                k = key_of(key)
            ),
        )),
        [Token::Text { text: key, .. }, Token::Bang, ..] => Err(error(
            format!("{shown:?}: '!' after the key"),
            format!(
                "write !{k} (the ! goes first) for resources without the tag",
                k = key_of(key)
            ),
        )),
        [Token::Text { text: key, .. }, Token::Equals] => Err(error(
            format!("{shown:?} has no value after '='"),
            format!(
                "write {k}=value, or !{k} for resources without the tag",
                k = key_of(key)
            ),
        )),
        [Token::Text { text: key, .. }, Token::Equals, rest @ ..] => {
            check_key(key)?;
            let mut values: Vec<String> = Vec::new();
            let mut expect_value = true;
            for token in rest {
                match (token, expect_value) {
                    (Token::Text { text, .. }, true) => {
                        if text.chars().count() > MAX_TAG_VALUE_CHARS {
                            return Err(error(
                                format!("a value of {key} is longer than {MAX_TAG_VALUE_CHARS} characters"),
                                "use the tag value exactly as it is on the resources",
                            ));
                        }
                        if !values.contains(text) {
                            values.push(text.clone());
                        }
                        expect_value = false;
                    }
                    (Token::Comma, false) => expect_value = true,
                    (Token::Comma, true) => {
                        return Err(error(
                            format!("{shown:?} has an empty value between commas"),
                            "remove the extra comma",
                        ))
                    }
                    (Token::Equals, _) => {
                        return Err(error(
                            format!("{shown:?} has a second '='"),
                            format!(
                                "quote a value that contains '=' ({}=\"a=b\"), or separate clauses with ';'",
                                key_of(key)
                            ),
                        ))
                    }
                    (Token::Bang, _) => {
                        return Err(error(
                            format!("{shown:?} has '!' inside the values"),
                            format!(
                                "quote a value that contains '!' ({}=\"a!\"); !Key is a clause of its own",
                                key_of(key)
                            ),
                        ))
                    }
                    // The tokenizer never yields two texts in a row nor a clause end inside
                    // a clause; answered anyway, as untrusted input must never panic.
                    (Token::Text { .. }, false) | (Token::ClauseEnd, _) => {
                        return Err(error(
                            format!("{shown:?} is not a tag clause"),
                            "write Key=value1,value2 or !Key; separate clauses with ';'",
                        ))
                    }
                }
            }
            if expect_value {
                return Err(error(
                    format!("{shown:?} ends with a comma"),
                    "remove the trailing comma",
                ));
            }
            Ok(TagClause {
                key: key.clone(),
                matches: TagMatch::Equals(values),
            })
        }
        [Token::Equals, ..] => Err(error(
            format!("{shown:?} has no tag key before '='"),
            "write the key before '=' (Environment=production)",
        )),
        _ => Err(error(
            format!("{shown:?} is not a tag clause"),
            "write Key=value1,value2 or !Key; separate clauses with ';'",
        )),
    }
}

/// The clause's tokens back as text, for messages.
fn describe(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Text { text, quoted: true } => quote(text),
            Token::Text {
                text,
                quoted: false,
            } => text.clone(),
            Token::Equals => "=".into(),
            Token::Comma => ",".into(),
            Token::Bang => "!".into(),
            Token::ClauseEnd => ";".into(),
        })
        .collect()
}

impl TagFilter {
    /// Parses a non-clearing `CostTags` cell. Empty or blank text is an empty filter.
    pub fn parse(cell: &str) -> Result<TagFilter, CostTagsError> {
        let tokens = tokenize(cell)?;
        let mut clauses: Vec<TagClause> = Vec::new();
        for clause_tokens in tokens.split(|t| *t == Token::ClauseEnd) {
            if clause_tokens.is_empty() {
                continue;
            }
            let clause = parse_clause(clause_tokens)?;
            if clauses.iter().any(|c| c.key == clause.key) {
                return Err(error(
                    format!("tag key {:?} appears in two clauses", clause.key),
                    format!(
                        "clauses are ANDed, so list the values in one clause: {}=a,b",
                        quote_if_needed(&clause.key)
                    ),
                ));
            }
            clauses.push(clause);
        }
        Ok(TagFilter { clauses })
    }
}

impl FromStr for TagFilter {
    type Err = CostTagsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Quotes text only when it would otherwise be read differently.
fn quote_if_needed(text: &str) -> String {
    let needs_quotes = text.is_empty()
        || text.trim() != text
        || text
            .chars()
            .any(|c| syntax_char(c).is_some() || is_quote(c));
    if needs_quotes {
        quote(text)
    } else {
        text.to_owned()
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

impl fmt::Display for TagFilter {
    /// The canonical cell text (`Environment=production; Team=a,b; !CostCenter`), which
    /// parses back to the same filter. An empty filter prints as nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match &clause.matches {
                TagMatch::Absent => write!(f, "!{}", quote_if_needed(&clause.key))?,
                TagMatch::Equals(values) => {
                    let values: Vec<String> = values.iter().map(|v| quote_if_needed(v)).collect();
                    write!(f, "{}={}", quote_if_needed(&clause.key), values.join(","))?;
                }
            }
        }
        Ok(())
    }
}

/// The Cost Explorer `Tags` value of one clause (`{"Key", "Values", "MatchOptions"}`).
pub fn cost_explorer_tag_values(clause: &TagClause) -> Value {
    match &clause.matches {
        TagMatch::Equals(values) => json!({
            "Key": clause.key,
            "Values": values,
            "MatchOptions": ["EQUALS"],
        }),
        TagMatch::Absent => json!({
            "Key": clause.key,
            "MatchOptions": ["ABSENT"],
        }),
    }
}

/// The `Filter` of a `GetCostAndUsage` request for one account, in the seed's shape:
/// `{"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [id]}}` without tags, and with tags
/// `{"And": [{"Dimensions": …}, {"Tags": {…}}, …]}`, one `Tags` expression per clause.
pub fn cost_explorer_filter(account: &AccountId, tags: &TagFilter) -> Value {
    let linked_account = json!({
        "Dimensions": {
            "Key": "LINKED_ACCOUNT",
            "Values": [account.as_str()],
        }
    });
    if tags.is_empty() {
        return linked_account;
    }
    let mut and = vec![linked_account];
    and.extend(
        tags.clauses
            .iter()
            .map(|clause| json!({ "Tags": cost_explorer_tag_values(clause) })),
    );
    json!({ "And": and })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn equals(key: &str, values: &[&str]) -> TagClause {
        TagClause {
            key: key.into(),
            matches: TagMatch::Equals(values.iter().map(|v| v.to_string()).collect()),
        }
    }
    fn absent(key: &str) -> TagClause {
        TagClause {
            key: key.into(),
            matches: TagMatch::Absent,
        }
    }
    fn parse(cell: &str) -> Vec<TagClause> {
        TagFilter::parse(cell)
            .unwrap_or_else(|e| panic!("{cell:?}: {e}"))
            .clauses
    }
    fn parse_err(cell: &str) -> CostTagsError {
        TagFilter::parse(cell).expect_err(cell)
    }

    #[test]
    fn empty_and_blank_cells_are_no_filter() {
        assert!(parse("").is_empty());
        assert!(parse("  ").is_empty());
        assert!(parse(" ; \n ").is_empty());
    }

    #[test]
    fn clauses_and_values() {
        assert_eq!(
            parse("Environment=production"),
            [equals("Environment", &["production"])]
        );
        assert_eq!(parse("Team = a , b"), [equals("Team", &["a", "b"])]);
        assert_eq!(
            parse("Environment=production; Team=payments,billing\n!CostCenter;"),
            [
                equals("Environment", &["production"]),
                equals("Team", &["payments", "billing"]),
                absent("CostCenter"),
            ]
        );
        assert_eq!(
            parse("Team=Data Platform"),
            [equals("Team", &["Data Platform"])]
        );
        assert_eq!(parse("Team=a,a"), [equals("Team", &["a"])]);
    }

    #[test]
    fn quoted_keys_and_values() {
        assert_eq!(
            parse(r#"Project="a,b; c", "x=y""#),
            [equals("Project", &["a,b; c", "x=y"])]
        );
        assert_eq!(
            parse(r#"Name="say ""hi""""#),
            [equals("Name", &["say \"hi\""])]
        );
        assert_eq!(
            parse(r#""cost center"=" padded ""#),
            [equals("cost center", &[" padded "])]
        );
        assert_eq!(parse(r#"!"odd;key""#), [absent("odd;key")]);
    }

    #[test]
    fn full_width_syntax_and_japanese_values() {
        assert_eq!(
            parse("部署＝経理、営業；！プロジェクト"),
            [equals("部署", &["経理", "営業"]), absent("プロジェクト")]
        );
        assert_eq!(parse("Team=“a,b”"), [equals("Team", &["a,b"])]);
        // Values are kept as typed: full-width letters inside a value are not rewritten.
        assert_eq!(parse("Env=ｐｒｏｄ"), [equals("Env", &["ｐｒｏｄ"])]);
    }

    #[test]
    fn malformed_cells_explain_the_fix() {
        assert!(parse_err("Environment").fix.contains("!Environment"));
        assert!(parse_err("Environment=").fix.contains("!Environment"));
        assert!(parse_err("Environment!").fix.contains("!Environment"));
        assert!(parse_err("=prod").message.contains("no tag key"));
        assert!(parse_err("Env=a,,b").message.contains("empty value"));
        assert!(parse_err("Env=a,").message.contains("comma"));
        assert!(parse_err("Env=a=b").fix.contains("\"a=b\""));
        assert!(parse_err("Env=\"prod").message.contains("never closed"));
        assert!(parse_err("Env=\"pr\"od")
            .message
            .contains("after a closing quote"));
        assert!(parse_err("Env=pr\"od\"")
            .message
            .contains("quote in the middle"));
        assert!(parse_err("!Env=prod").message.contains("takes no value"));
        assert!(parse_err("Env=a; Env=b").fix.contains("Env=a,b"));
        assert!(parse_err("user:Env=a").fix.contains("write Env"));
        assert!(parse_err("!").message.contains("followed by a tag key"));
        assert!(parse_err(&format!("{}=a", "k".repeat(129)))
            .message
            .contains("longer"));
    }

    #[test]
    fn display_parses_back_to_the_same_filter() {
        for cell in [
            "Environment=production; Team=payments,billing; !CostCenter",
            r#"Project="a,b; c","x=y"; cost center=" padded "; Name="say ""hi""""#,
            "部署=経理,営業; !プロジェクト",
        ] {
            let filter = TagFilter::parse(cell).unwrap();
            assert_eq!(filter.to_string(), cell);
            assert_eq!(TagFilter::parse(&filter.to_string()).unwrap(), filter);
        }
    }

    #[test]
    fn filter_without_tags_is_the_seeds_linked_account_dimension() {
        let account = AccountId::parse("012345678901").unwrap();
        assert_eq!(
            cost_explorer_filter(&account, &TagFilter::default()),
            json!({"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ["012345678901"]}})
        );
    }

    #[test]
    fn filter_with_tags_ands_the_account_with_one_tags_expression_per_clause() {
        let account = AccountId::parse("012345678901").unwrap();
        let tags = TagFilter::parse("Environment=production; Team=a,b; !CostCenter").unwrap();
        assert_eq!(
            cost_explorer_filter(&account, &tags),
            json!({"And": [
                {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ["012345678901"]}},
                {"Tags": {"Key": "Environment", "Values": ["production"], "MatchOptions": ["EQUALS"]}},
                {"Tags": {"Key": "Team", "Values": ["a", "b"], "MatchOptions": ["EQUALS"]}},
                {"Tags": {"Key": "CostCenter", "MatchOptions": ["ABSENT"]}},
            ]})
        );
    }
}
