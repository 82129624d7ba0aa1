//! Load balancer types (read only).

use super::common::{Catalog, Resource};
use crate::models::load_balancer::LoadBalancerType;

/// Marker for `/load_balancer_types`.
#[derive(Debug, Clone, Copy)]
pub struct Kind;

impl Resource for Kind {
    type Model = LoadBalancerType;
    const PATH: &'static str = "/load_balancer_types";
    const ONE: &'static str = "load_balancer_type";
    const MANY: &'static str = "load_balancer_types";
    fn name_of(model: &LoadBalancerType) -> Option<&str> {
        Some(&model.name)
    }
}

/// Load balancer type operations; from [`crate::Client::load_balancer_types`].
pub type LoadBalancerTypes<'a> = Catalog<'a, Kind>;
