//! orgpulse configuration: the seed's JSON rows, extended, editable as a spreadsheet.
//!
//! - [`load`] reads a JSON or CSV file into a [`Loaded`]: the valid rows as a [`Config`] and
//!   every [`Problem`] with the others. It never fails: a bad row is reported and left out.
//! - [`Config::resolve`] gives one account its [`AccountSettings`] (account row > nearest OU
//!   row > Default row > built-in defaults, field by field); [`Config::org_settings`] the
//!   organization-wide ones.
//! - [`cost_explorer_filter`] turns an account and its `CostTags` into Cost Explorer's `Filter`.
//! - [`Table`] is the untyped level (cells as typed) that `orgpulse config convert` uses, so
//!   JSON → CSV → JSON keeps every row and column.
//! - [`clock`] is the one wall-clock read of every crate (tests pin it).

pub mod clock;
pub mod columns;
pub mod config;
pub mod cost_tags;
pub mod currency;
pub mod endpoint;
pub mod model;
pub mod problem;
pub mod rows;
pub mod table;
mod values;

pub use columns::{Column, ColumnKind};
pub use config::{load, load_detected, validate, Config, Loaded, Unresolved};
pub use cost_tags::{cost_explorer_filter, cost_explorer_tag_values, CostTagsError};
pub use model::*;
pub use problem::{quoted_title, Consequence, Location, Problem};
pub use rows::ConfigRow;
pub use table::{
    Cell, CellKind, Format, Layout, SheetOrigin, Table, TableRow, MAX_CELL_BYTES, MAX_FILE_BYTES,
    MAX_HEADER_ROW,
};
pub use values::{CLEAR, MAX_TOP_SERVICES};
