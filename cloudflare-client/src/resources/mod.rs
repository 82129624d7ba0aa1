//! One module per API resource: typed models, pure request builders and the handle that sends them.

pub mod bot_management;
pub mod dns;
pub mod ips;
pub mod rulesets;
pub mod settings;
pub mod zones;
