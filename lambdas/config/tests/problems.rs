//! Every kind of mistake gets its own clear line; good rows in the same file still load.

use orgpulse_config::{
    load, AccountId, Consequence, Format, Loaded, Problem, RowTarget, MAX_CELL_BYTES,
    MAX_FILE_BYTES,
};
use pretty_assertions::assert_eq;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn lines(loaded: &Loaded) -> String {
    loaded
        .problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn loaded_accounts(loaded: &Loaded) -> Vec<&str> {
    loaded.config.accounts().map(AccountId::as_str).collect()
}

fn csv(text: &str) -> Loaded {
    load(text.as_bytes(), Format::Csv)
}

fn only_problem(loaded: &Loaded) -> &Problem {
    assert_eq!(loaded.problems.len(), 1, "{}", lines(loaded));
    &loaded.problems[0]
}

#[test]
fn a_spreadsheet_full_of_mistakes() {
    let loaded = load(&fixture("mistakes.csv"), Format::Csv);
    insta::assert_snapshot!(lines(&loaded));
    // The good rows, and the row whose only mistake is an unknown column, still load.
    assert_eq!(
        loaded_accounts(&loaded),
        ["123456789012", "888888888888", "099999999999"]
    );
    assert!(loaded.config.default_row().is_some());
    assert_eq!(
        loaded.skipped_rows(),
        [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
    );
    // Every problem starts with its place: the spreadsheet row (the header is row 1), and
    // the column letter when it is about one cell.
    assert!(loaded.problems.iter().all(|p| {
        let line = p.to_string();
        line.starts_with(&format!("row {},", p.row)) || line.starts_with(&format!("row {}:", p.row))
    }));
}

#[test]
fn a_json_file_full_of_mistakes() {
    let loaded = load(&fixture("mistakes.json"), Format::Json);
    insta::assert_snapshot!(lines(&loaded));
    assert_eq!(loaded_accounts(&loaded), ["123456789012", "345678901234"]);
}

#[test]
fn account_ids_that_lost_their_leading_zeros() {
    let loaded = csv("AccountId,ChannelIds\n12345678901,C0CHANNEL1\n");
    let problem = only_problem(&loaded);
    // The header is row 1, as a spreadsheet shows it: the ID is in cell A2.
    assert_eq!(problem.row, 2);
    let location = problem.location.as_ref().unwrap();
    assert_eq!(location.a1.as_deref(), Some("A2"));
    assert_eq!(location.column.as_deref(), Some("A"));
    assert!(
        problem
            .to_string()
            .starts_with("row 2, column A, AccountId = \"12345678901\": has 11 digits"),
        "{problem}"
    );
    assert_eq!(problem.field.as_deref(), Some("AccountId"));
    assert_eq!(problem.value.as_deref(), Some("12345678901"));
    assert!(problem.message.contains("dropped leading zeros"));
    assert!(problem.fix.contains("text"));
}

#[test]
fn a_json_number_where_text_was_expected() {
    let loaded = load(
        br#"[{"AccountId": 123456789012, "ChannelIds": ["C0CHANNEL1"]}]"#,
        Format::Json,
    );
    let problem = only_problem(&loaded);
    assert!(problem.message.contains("JSON number"));
    assert!(problem.fix.contains("\"123456789012\""));
}

#[test]
fn duplicates_name_both_rows() {
    let loaded = csv("AccountId,ChannelIds\n012345678901,C0CHANNEL1\n111111111111,C0CHANNEL1\n012345678901,C0CHANNEL2\n");
    let problem = only_problem(&loaded);
    assert_eq!(problem.row, 4);
    assert!(
        problem.message.contains("already has a row (row 2)"),
        "{problem}"
    );
    assert!(problem.fix.contains("merge row 4 into row 2"));
    assert_eq!(loaded_accounts(&loaded), ["012345678901", "111111111111"]);

    let ous = csv("OrganizationalUnitId,ChannelIds\nou-ab12-cd34ef56,C0CHANNEL1\nOU-AB12-CD34EF56,C0CHANNEL2\n");
    assert!(only_problem(&ous).message.contains("(row 2)"));
    // In JSON, rows are elements of the array.
    let json = load(
        br#"[{"AccountId": "012345678901", "ChannelIds": "C0CHANNEL1"}, {"AccountId": "012345678901", "ChannelIds": "C0CHANNEL2"}]"#,
        Format::Json,
    );
    let problem = only_problem(&json);
    assert!(
        problem.to_string().starts_with(
            "element 2, AccountId = \"012345678901\": account 012345678901 already has a row (element 1)"
        ),
        "{problem}"
    );
}

#[test]
fn more_than_one_default_row() {
    let loaded = csv("Default,ChannelIds\nTRUE,C0CHANNEL1\n1,C0CHANNEL2\n");
    let problem = only_problem(&loaded);
    assert_eq!(problem.row, 3);
    assert!(problem
        .message
        .contains("more than one Default row (rows 2 and 3)"));
}

#[test]
fn unknown_columns_suggest_the_closest_name() {
    let loaded = csv("AccountId,Chanels,ChannelIds,# note\n012345678901,x,C0CHANNEL1,anything\n");
    let problem = only_problem(&loaded);
    // Reported at its header cell.
    assert_eq!(problem.row, 1);
    assert_eq!(problem.location.as_ref().unwrap().a1.as_deref(), Some("B1"));
    assert!(
        problem.fix.contains("did you mean ChannelIds?"),
        "{problem}"
    );
    assert_eq!(problem.consequence, Consequence::ValueIgnored);
    assert_eq!(loaded_accounts(&loaded), ["012345678901"]);

    let json = load(
        br#"[{"AccountId": "012345678901", "ChannelIds": ["C0CHANNEL1"], "Curency": "JPY"}]"#,
        Format::Json,
    );
    let problem = only_problem(&json);
    assert_eq!(problem.row, 1);
    let location = problem.location.as_ref().unwrap();
    assert_eq!(
        (
            location.element,
            location.field.as_deref(),
            location.a1.as_deref()
        ),
        (Some(1), Some("Curency"), None)
    );
    assert!(problem
        .to_string()
        .starts_with("element 1, Curency = \"JPY\""));
    assert!(problem.fix.contains("did you mean Currency?"));
}

#[test]
fn channel_names_are_not_channel_ids() {
    let loaded = csv("AccountId,ChannelIds\n012345678901,#general\n");
    let problem = only_problem(&loaded);
    assert_eq!(problem.value.as_deref(), Some("#general"));
    assert!(problem.fix.contains("Channel ID"));
}

#[test]
fn unknown_currency_and_granularity_and_malformed_cost_tags() {
    let loaded = csv("AccountId,ChannelIds,Currency,Granularity,CostTags\n012345678901,C0CHANNEL1,YEN,HOURLY,Env\n");
    let fields: Vec<_> = loaded
        .problems
        .iter()
        .map(|p| p.field.as_deref().unwrap())
        .collect();
    assert_eq!(fields, ["Currency", "Granularity", "CostTags"]);
    assert!(loaded.problems[0].fix.contains("JPY"));
}

#[test]
fn empty_channels_with_no_default_to_inherit_from() {
    let loaded = csv("AccountId,ChannelIds\n012345678901,\n111111111111,C0CHANNEL1\n");
    let problem = only_problem(&loaded);
    assert_eq!(problem.row, 2);
    assert!(problem.message.contains("no Default row"), "{problem}");
    assert_eq!(loaded_accounts(&loaded), ["111111111111"]);

    // A Default row with channels fixes it; a muted account needs no channels.
    assert_eq!(
        csv("AccountId,Default,ChannelIds\n012345678901,,\n,TRUE,C0CHANNEL1\n").problems,
        []
    );
    assert_eq!(
        csv("AccountId,ChannelIds,Enabled\n012345678901,,FALSE\n").problems,
        []
    );

    let default_without =
        csv("AccountId,Default,ChannelIds,Currency\n012345678901,,,\n,TRUE,,JPY\n");
    assert!(only_problem(&default_without)
        .message
        .contains("the Default row (row 3) has none either"));
    let broken_default =
        csv("AccountId,Default,ChannelIds,Currency\n012345678901,,,\n,TRUE,C0CHANNEL1,XYZ\n");
    assert!(lines(&broken_default).contains("(row 3) was skipped because of its own problems"));
}

#[test]
fn absurd_sizes() {
    let huge = vec![b'x'; MAX_FILE_BYTES + 1];
    let loaded = load(&huge, Format::Csv);
    assert_eq!(
        only_problem(&loaded).consequence,
        Consequence::NothingLoaded
    );

    let long = "説".repeat(MAX_CELL_BYTES / 3 + 1);
    let loaded = csv(&format!("AccountId,ChannelIds,Description\n012345678901,C0CHANNEL1,{long}\n111111111111,C0CHANNEL1,short\n"));
    let problem = only_problem(&loaded);
    assert_eq!(problem.field.as_deref(), Some("Description"));
    assert!(problem.message.contains("at most 4 KiB"));
    assert!(problem.value.as_ref().unwrap().chars().count() <= 81);
    assert_eq!(loaded_accounts(&loaded), ["111111111111"]);
}

#[test]
fn organization_wide_fields_on_other_rows() {
    let loaded = csv(
        "AccountId,ChannelIds,TimeZone,ExchangeRates\n012345678901,C0CHANNEL1,Asia/Tokyo,JPY=150\n",
    );
    let fields: Vec<_> = loaded
        .problems
        .iter()
        .map(|p| p.field.as_deref().unwrap())
        .collect();
    assert_eq!(fields, ["TimeZone", "ExchangeRates"]);
    assert!(loaded.problems[0].message.contains("only the Default row"));
}

#[test]
fn targets_exactly_one() {
    let both = csv(
        "AccountId,OrganizationalUnitId,ChannelIds\n012345678901,ou-ab12-cd34ef56,C0CHANNEL1\n",
    );
    assert!(only_problem(&both).message.contains("exactly one"));
    let neither = csv("AccountId,Description,ChannelIds\n,orphan,C0CHANNEL1\n");
    assert!(only_problem(&neither).fix.contains("Default to TRUE"));
    let default_false = csv("AccountId,Default,ChannelIds\n012345678901,FALSE,C0CHANNEL1\n");
    assert_eq!(default_false.problems, []);
    assert_eq!(
        default_false.config.rows[0].target,
        RowTarget::Account(AccountId::parse("012345678901").unwrap())
    );
}

#[test]
fn blank_and_note_only_rows_are_not_rows() {
    let loaded = csv("AccountId,ChannelIds,# note\n,,just a note\n012345678901,C0CHANNEL1,\n,,\n");
    assert_eq!(loaded.problems, []);
    assert_eq!(loaded.config.rows[0].row, 3);
}
