//! Property tests: untrusted bytes and untrusted row values never make the parsers panic,
//! and the same rows mean the same thing whichever format carries them.

use orgpulse_config::{
    load, AccountId, Cell, Column, Config, ConfigRow, Format, OrgUnitId, Table, TableRow, TagFilter,
};
use proptest::prelude::*;

fn assert_problems_are_lines(loaded: &orgpulse_config::Loaded) {
    for problem in &loaded.problems {
        let line = problem.to_string();
        // Every problem is located, and its line starts with the place: the file, or the row
        // (element) it names.
        let location = problem
            .location
            .as_ref()
            .expect("validate locates every problem");
        assert!(line.starts_with(&location.text), "{line}");
        if problem.row == 0 {
            assert_eq!(location.text, "the file", "{line}");
        } else {
            assert_eq!(
                location.row.or(location.element),
                Some(problem.row),
                "{line}"
            );
        }
        assert!(!line.contains('\n'), "{line}");
    }
}

/// Text that looks like what people type into each column, right and wrong, plus noise.
fn cell_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[0-9]{10,13}",
        "[0０][0-9０-９]{11}",
        "[0-9]\\.[0-9]{5}E\\+11",
        prop_oneof![
            Just("TRUE"),
            Just("false"),
            Just("yes"),
            Just("-"),
            Just("none")
        ]
        .prop_map(str::to_owned),
        "(C|G|D|#|@)[A-Z0-9]{6,11}([,; \n](C|G)[A-Z0-9]{8})?",
        "ou-[a-z0-9]{4}-[a-z0-9]{8}|r-[a-z0-9]{4}|OU-[A-Z]{3}",
        "(DAILY|weekly|Monthly|HOURLY|月次)([,;\n ](DAILY|WEEKLY))?",
        "(JPY|usd|ＥＵＲ|YEN|XAU|\\$)",
        "!?[A-Za-z部署]{1,6}(=[a-z経理,\"; ]{0,8})?(;[A-Z][a-z]{0,4}=[a-z]{1,3})?",
        "(JPY|EUR|USD|XXX)[=:][0-9.,-]{1,7}(; ?(GBP|JPY)=[0-9.]{1,5})?",
        "(Asia/Tokyo|utc|JST|Mars/Olympus)",
        "(Mon|friday|月曜日|Someday)",
        "[+-]?[0-9,.%]{1,8}",
        "(UnblendedCost|BLENDED_COST|Cost)",
        "[\"',;\n\r= \u{3000}、！＝]{0,8}",
        "\\PC{0,24}",
        ".{0,12}",
    ]
}

fn column_name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(Column::ALL.to_vec()).prop_map(|c| c.name().to_owned()),
        1 => Just("Chanels".to_owned()),
        1 => Just("# メモ".to_owned()),
    ]
}

/// A table of 1–8 distinct columns and 0–6 rows of the cells above.
fn table() -> impl Strategy<Value = Table> {
    prop::collection::btree_set(column_name(), 1..8).prop_flat_map(|names| {
        let columns: Vec<String> = names.into_iter().collect();
        let width = columns.len();
        prop::collection::vec(prop::collection::vec(cell_text(), width), 0..6).prop_map(
            move |rows| Table {
                source: Format::Csv,
                columns: columns.clone(),
                rows: rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, cells)| TableRow {
                        number: i + 1,
                        cells: cells.into_iter().map(Cell::text).collect(),
                    })
                    .collect(),
                problems: Vec::new(),
                layout: Default::default(),
            },
        )
    })
}

fn without_row_numbers(config: &Config) -> Vec<ConfigRow> {
    config
        .rows
        .iter()
        .map(|r| ConfigRow {
            row: 0,
            ..r.clone()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES=100000 for a long hunt; 512 keeps `cargo test` quick.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512),
        // Shrunk failures are printed; nothing is written next to the sources.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        for format in [Format::Json, Format::Csv] {
            let loaded = load(&bytes, format);
            assert_problems_are_lines(&loaded);
            let table = Table::read(&bytes, format);
            let _ = table.write(Format::Json);
            let _ = table.write(Format::Csv);
        }
    }

    #[test]
    fn json_and_csv_shaped_text_never_panics(text in "[\\[\\]{}\",:0-9a-zA-Z \n\r;=!\u{FEFF}日本-]{0,300}") {
        for format in [Format::Json, Format::Csv] {
            assert_problems_are_lines(&load(text.as_bytes(), format));
        }
    }

    #[test]
    fn cost_tags_parse_or_explain_and_print_back(cell in "[A-Za-z部 =,;!\"“”＝；、\n]{0,40}") {
        if let Ok(filter) = TagFilter::parse(&cell) {
            let printed = filter.to_string();
            prop_assert_eq!(TagFilter::parse(&printed).unwrap(), filter);
        }
    }

    #[test]
    fn arbitrary_rows_mean_the_same_in_json_and_csv(table in table()) {
        let json = table.write(Format::Json);
        let csv = table.write(Format::Csv);
        let from_json = load(&json, Format::Json);
        let from_csv = load(&csv, Format::Csv);
        assert_problems_are_lines(&from_json);
        assert_problems_are_lines(&from_csv);
        // Element N of the JSON array is row N + 1 of the CSV, under its header.
        let mut csv_config = from_csv.config.clone();
        for row in &mut csv_config.rows {
            row.row -= 1;
        }
        prop_assert_eq!(&from_json.config, &csv_config);

        // JSON → CSV → JSON gives back the same JSON, once in the form `convert` writes
        // (blank rows dropped).
        let converted = Table::read(&json, Format::Json).write(Format::Json);
        let csv_again = Table::read(&converted, Format::Json).write(Format::Csv);
        let json_again = Table::read(&csv_again, Format::Csv).write(Format::Json);
        prop_assert_eq!(String::from_utf8(json_again).unwrap(), String::from_utf8(converted).unwrap());

        // Valid rows serialize back to the same rows.
        let reloaded = load(&from_csv.config.to_table().write(Format::Csv), Format::Csv);
        prop_assert_eq!(&reloaded.problems, &vec![]);
        prop_assert_eq!(without_row_numbers(&reloaded.config), without_row_numbers(&from_csv.config));

        // Resolution never panics, whatever the rows.
        let account = AccountId::parse("012345678901").unwrap();
        let path = [OrgUnitId("ou-ab12-cd34ef56".into()), OrgUnitId("r-ab12".into())];
        for row in &from_csv.config.rows {
            let _ = from_csv.config.try_resolve(&account, &path);
            if let orgpulse_config::RowTarget::Account(id) = &row.target {
                let _ = from_csv.config.resolve(id, &path);
            }
        }
        let _ = from_csv.config.org_settings();
    }
}
