//! Loading real files: the seed's example, a spreadsheet export, and lossless JSON ⇄ CSV.

use orgpulse_config::{
    cost_explorer_filter, load, AccountId, ChannelId, CostMetric, CurrencyCode, Format,
    Granularity, OrgUnitId, RowTarget, Table, TagFilter,
};
use pretty_assertions::assert_eq;
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn account(id: &str) -> AccountId {
    AccountId::parse(id).unwrap()
}

#[test]
fn the_seeds_example_loads_unchanged_and_validates() {
    let bytes = fixture("seed.json");
    assert_eq!(Format::detect(&bytes), Format::Json);
    let loaded = load(&bytes, Format::Json);
    assert_eq!(loaded.problems, []);
    assert_eq!(loaded.rows_read, 1);
    let row = &loaded.config.rows[0];
    assert_eq!(row.target, RowTarget::Account(account("123456789012")));
    assert_eq!(
        row.description.as_deref(),
        Some("hogehoge service staging env")
    );
    assert_eq!(row.channel_ids, Some(vec![ChannelId("CR96Q1EJW".into())]));
    assert_eq!(row.currency, Some(CurrencyCode("JPY".into())));
    assert_eq!(row.granularities, Some(vec![Granularity::Daily]));
    // "CostTags": "" is an empty cell: no filter of its own, and nothing to inherit here.
    assert_eq!(row.cost_tags, None);

    let settings = loaded
        .config
        .resolve(&account("123456789012"), &[])
        .unwrap();
    assert_eq!(settings.cost_tags, TagFilter::default());
    assert_eq!(settings.metric, CostMetric::UnblendedCost);
    assert_eq!(
        cost_explorer_filter(&settings.account_id, &settings.cost_tags),
        json!({"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ["123456789012"]}})
    );
}

#[test]
fn the_seeds_query_shape_with_tags() {
    // The seed builds {'And': [{'Dimensions': …}, {'Tags': filter_tag}, …]}.
    let bytes = br#"[{"AccountId": "123456789012", "ChannelIds": ["CR96Q1EJW"],
                      "CostTags": "Environment=staging,dev; !CostCenter"}]"#;
    let loaded = load(bytes, Format::Json);
    assert_eq!(loaded.problems, []);
    let settings = loaded
        .config
        .resolve(&account("123456789012"), &[])
        .unwrap();
    let filter = cost_explorer_filter(&settings.account_id, &settings.cost_tags);
    assert_eq!(
        filter,
        json!({"And": [
            {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ["123456789012"]}},
            {"Tags": {"Key": "Environment", "Values": ["staging", "dev"], "MatchOptions": ["EQUALS"]}},
            {"Tags": {"Key": "CostCenter", "MatchOptions": ["ABSENT"]}}
        ]})
    );
    let and = filter["And"].as_array().unwrap();
    assert_eq!(and[0]["Dimensions"]["Key"], "LINKED_ACCOUNT");
    assert!(and[1..].iter().all(|e| e.get("Tags").is_some()));
}

#[test]
fn a_spreadsheet_export_with_bom_crlf_quotes_full_width_and_trailing_emptiness() {
    let bytes = fixture("org.csv");
    assert_eq!(Format::detect(&bytes), Format::Csv);
    let loaded = load(&bytes, Format::Csv);
    assert_eq!(loaded.problems, []);
    assert_eq!(loaded.rows_read, 5);
    let config = &loaded.config;

    let default = config.default_row().unwrap();
    assert_eq!(
        default.description.as_deref(),
        Some("全社の既定値: 日次, 月次")
    );
    assert_eq!(
        default.granularities,
        Some(vec![Granularity::Daily, Granularity::Monthly])
    );
    let org = config.org_settings();
    assert_eq!(org.time_zone, chrono_tz::Asia::Tokyo);
    assert_eq!(org.exchange_rates.len(), 2);

    let ou = config
        .org_unit_row(&OrgUnitId("ou-ab12-cd34ef56".into()))
        .unwrap();
    assert_eq!(ou.channel_ids.as_ref().map(Vec::len), Some(2));

    // Full-width digits and a lower-case full-width currency, NFKC-normalised.
    let own = config.account_row(&account("012345678901")).unwrap();
    assert_eq!(own.currency, Some(CurrencyCode("JPY".into())));
    assert_eq!(
        own.description.as_deref(),
        Some("本番環境, \"特急\" 対応\n担当: 配信基盤チーム")
    );
    assert_eq!(
        own.cost_tags.as_ref().map(ToString::to_string).as_deref(),
        Some("Team=配信,\"課金, 決済\"; !CostCenter")
    );

    // "-" clears the inherited tag filter.
    let cleared = config.account_row(&account("210987654321")).unwrap();
    assert_eq!(cleared.cost_tags, Some(TagFilter::default()));
}

#[test]
fn json_to_csv_to_json_is_identical_with_japanese_and_lists() {
    let original = fixture("roundtrip.json");
    let loaded = load(&original, Format::Json);
    assert_eq!(loaded.problems, [], "the fixture is valid");

    let table = Table::read(&original, Format::Json);
    let csv = table.write(Format::Csv);
    let back = Table::read(&csv, Format::Csv).write(Format::Json);
    assert_eq!(
        String::from_utf8(back.clone()).unwrap(),
        String::from_utf8(original).unwrap()
    );

    // And the rows mean the same from either file; each is numbered as its file shows it:
    // element N of the JSON array is row N + 1 of the CSV (under the header).
    let mut from_csv = load(&csv, Format::Csv).config;
    for row in &mut from_csv.rows {
        row.row -= 1;
    }
    assert_eq!(from_csv, loaded.config);
    assert_eq!(load(&back, Format::Json).config, loaded.config);
}

#[test]
fn the_seed_round_trips_byte_for_byte() {
    let original = fixture("seed.json");
    let csv = Table::read(&original, Format::Json).write(Format::Csv);
    assert_eq!(
        String::from_utf8(csv.clone()).unwrap(),
        "\u{FEFF}AccountId,Description,ChannelIds,Currency,Granularity,CostTags\n\
         123456789012,hogehoge service staging env,CR96Q1EJW,JPY,DAILY,\n"
    );
    let back = Table::read(&csv, Format::Csv).write(Format::Json);
    assert_eq!(back, original);
}

#[test]
fn csv_to_json_to_csv_keeps_every_row_and_the_notes_column() {
    let original = fixture("org.csv");
    let json = Table::read(&original, Format::Csv).write(Format::Json);
    let csv = Table::read(&json, Format::Json).write(Format::Csv);
    let again = Table::read(&csv, Format::Csv).write(Format::Json);
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(json.clone()).unwrap()
    );
    assert!(String::from_utf8(json)
        .unwrap()
        .contains("\"# メモ\": \"CCoE が管理\""));
    assert_eq!(
        load(&csv, Format::Csv).config,
        load(&original, Format::Csv).config
    );
}

#[test]
fn validated_rows_serialize_back_to_the_same_rows() {
    for name in ["roundtrip.json", "org.csv", "seed.json"] {
        let bytes = fixture(name);
        let config = load(&bytes, Format::detect(&bytes)).config;
        let table = config.to_table();
        for format in [Format::Json, Format::Csv] {
            let reloaded = load(&table.write(format), format);
            assert_eq!(reloaded.problems, [], "{name} as {format}");
            let strip = |c: &orgpulse_config::Config| {
                c.rows
                    .iter()
                    .map(|r| orgpulse_config::ConfigRow {
                        row: 0,
                        ..r.clone()
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                strip(&reloaded.config),
                strip(&config),
                "{name} as {format}"
            );
        }
    }
}
