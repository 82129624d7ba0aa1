//! Placement group spread: the hosts of one customer (or one role) land on different physical
//! machines, so one hypervisor failure takes down at most one of them. A spread group holds at
//! most 10 servers; [`Client::spread_group_with_room`] rolls over to `name-2`, `name-3`, ...

use crate::client::Client;
use crate::error::Result;
use crate::labels::Labels;
use crate::models::placement_group::PlacementGroup;
use crate::resources::placement_groups::CreatePlacementGroup;

/// Servers a `spread` placement group can hold.
pub const MAX_SPREAD_GROUP_SERVERS: usize = 10;

/// The name of the `n`th (1-based) group of a family: `web`, `web-2`, `web-3`, ...
pub fn spread_group_name(base: &str, n: usize) -> String {
    if n <= 1 {
        base.to_owned()
    } else {
        format!("{base}-{n}")
    }
}

impl Client {
    /// A spread group of the family `base` with room for one more server: the first of `base`,
    /// `base-2`, ... that has fewer than 10 servers, created (with `labels`) when none has.
    /// Pass its id to `CreateServer::placement_group`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> hetzner_client::Result<()> {
    /// use hetzner_client::{Client, Labels, simulator::Simulator};
    /// let client = Client::simulated(&Simulator::new())?;
    /// let group = client.spread_group_with_room("acme-web", &Labels::new()).await?;
    /// assert_eq!(group.name, "acme-web");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The API's error.
    pub async fn spread_group_with_room(
        &self,
        base: &str,
        labels: &Labels,
    ) -> Result<PlacementGroup> {
        let mut n = 1;
        loop {
            let name = spread_group_name(base, n);
            match self.placement_groups().get_by_name(&name).await? {
                Some(group) if group.servers.len() >= MAX_SPREAD_GROUP_SERVERS => n += 1,
                Some(group) => return Ok(group),
                None => {
                    let request = CreatePlacementGroup::spread(name).labels(labels.clone());
                    return Ok(self.placement_groups().create(&request).await?.value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_roll_over() {
        assert_eq!(super::spread_group_name("web", 1), "web");
        assert_eq!(super::spread_group_name("web", 3), "web-3");
    }
}
