//! ISO images (read only); attach them with `servers().attach_iso`.

use super::common::{Catalog, Resource};
use crate::models::iso::Iso;

/// Marker for `/isos`.
#[derive(Debug, Clone, Copy)]
pub struct Kind;

impl Resource for Kind {
    type Model = Iso;
    const PATH: &'static str = "/isos";
    const ONE: &'static str = "iso";
    const MANY: &'static str = "isos";
    fn name_of(model: &Iso) -> Option<&str> {
        model.name.as_deref()
    }
}

/// ISO operations; from [`crate::Client::isos`].
pub type Isos<'a> = Catalog<'a, Kind>;
