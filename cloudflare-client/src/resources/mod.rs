//! One module per API resource: typed models, pure request builders and the handle that sends them.

pub mod bot_management;
pub mod cache;
pub mod dns;
pub mod ips;
pub mod lists;
pub mod origin_ca;
pub mod origin_pulls;
pub mod rulesets;
pub mod settings;
pub mod tokens;
pub mod zones;
