//! orgpulse configuration: the seed's JSON rows, extended, editable as a spreadsheet.

pub mod model;

pub use model::*;
