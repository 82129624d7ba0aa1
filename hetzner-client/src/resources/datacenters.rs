//! Datacenters (read only).

use super::common::{Catalog, Resource};
use crate::models::datacenter::Datacenter;

/// Marker for `/datacenters`.
#[derive(Debug, Clone, Copy)]
pub struct Kind;

impl Resource for Kind {
    type Model = Datacenter;
    const PATH: &'static str = "/datacenters";
    const ONE: &'static str = "datacenter";
    const MANY: &'static str = "datacenters";
    fn name_of(model: &Datacenter) -> Option<&str> {
        Some(&model.name)
    }
}

/// Datacenter operations; from [`crate::Client::datacenters`].
pub type Datacenters<'a> = Catalog<'a, Kind>;
