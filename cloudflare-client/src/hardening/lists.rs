//! The account IP lists of a plan: which lists to create, which items change, and what the
//! account's plan cannot hold.

use super::IpList;
use super::limits::PlanLimits;
use super::plan::{Change, Unsupported};
use crate::resources::lists::{List, ListItem, StoredListItem};

/// A list as it is now: the list and its items.
pub type CurrentList = (List, Vec<StoredListItem>);

/// The list changes that turn `current` (every list of the account) into `desired`. A list the
/// account has no room for (per `limits`) is reported in `unsupported` and its name returned in
/// the second value, so rules referencing it can be left out too.
pub fn diff_lists(
    limits: &PlanLimits,
    account_id: &str,
    desired: &[IpList],
    current: &[CurrentList],
    unsupported: &mut Vec<Unsupported>,
) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut missing = Vec::new();
    let mut lists_after = current.len();
    let mut items_after: usize = current.iter().map(|(_, items)| items.len()).sum();
    for want in desired {
        let have = current.iter().find(|(l, _)| l.name == want.name);
        let have_items: Vec<ListItem> = have
            .map(|(_, items)| {
                items
                    .iter()
                    .filter_map(|i| {
                        i.ip.as_ref().map(|ip| ListItem {
                            ip: ip.clone(),
                            comment: i.comment.clone().filter(|c| !c.is_empty()),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        if have.is_none() {
            if lists_after >= limits.custom_lists {
                unsupported.push(Unsupported {
                    field: format!("lists[{}]", want.name),
                    reason: format!(
                        "the account already holds {lists_after} list(s); the {} plan allows {}",
                        limits.tier, limits.custom_lists
                    ),
                });
                missing.push(want.name.clone());
                continue;
            }
            lists_after += 1;
        }
        let grown = want.items.len().saturating_sub(have_items.len());
        if items_after + grown > limits.list_items {
            unsupported.push(Unsupported {
                field: format!("lists[{}].items", want.name),
                reason: format!(
                    "{} items would exceed the account's {} list items",
                    items_after + grown,
                    limits.list_items
                ),
            });
            if have.is_none() {
                missing.push(want.name.clone());
            }
            continue;
        }
        items_after += grown;
        let mut want_sorted = want.items.clone();
        want_sorted.sort();
        let mut have_sorted = have_items.clone();
        have_sorted.sort();
        if have.is_some() && want_sorted == have_sorted {
            continue;
        }
        let added = want
            .items
            .iter()
            .filter(|w| !have_items.iter().any(|h| h.ip == w.ip))
            .map(|w| w.ip.clone())
            .collect();
        let removed = have_items
            .iter()
            .filter(|h| !want.items.iter().any(|w| w.ip == h.ip))
            .map(|h| h.ip.clone())
            .collect();
        changes.push(Change::List {
            account_id: account_id.to_owned(),
            list_id: have.map(|(l, _)| l.id.clone()),
            name: want.name.clone(),
            description: want.description.clone(),
            added,
            removed,
            items: want.items.clone(),
        });
    }
    (changes, missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::lists::ListKind;
    use crate::resources::zones::PlanTier;

    fn list(name: &str) -> List {
        List {
            id: format!("{name}_id"),
            name: name.into(),
            kind: ListKind::Ip,
            description: None,
            num_items: None,
            num_referencing_filters: None,
            created_on: None,
            modified_on: None,
        }
    }

    #[test]
    fn create_update_noop_and_quota() {
        let free = PlanLimits::for_plan(&PlanTier::Free);
        let want = vec![IpList {
            name: "admin_ips".into(),
            description: "admins".into(),
            items: vec![ListItem::ip("198.51.100.0/24").unwrap()],
        }];
        let mut u = Vec::new();
        let (c, missing) = diff_lists(&free, "a", &want, &[], &mut u);
        assert!(
            matches!(&c[0], Change::List { list_id: None, added, .. } if added == &["198.51.100.0/24"])
        );
        assert!(missing.is_empty() && u.is_empty());
        let same = vec![(
            list("admin_ips"),
            vec![StoredListItem {
                id: "i".into(),
                ip: Some("198.51.100.0/24".into()),
                comment: None,
                created_on: None,
            }],
        )];
        assert!(diff_lists(&free, "a", &want, &same, &mut u).0.is_empty());
        let other = vec![(list("other"), vec![])];
        let (c, missing) = diff_lists(&free, "a", &want, &other, &mut u);
        assert!(c.is_empty());
        assert_eq!(missing, ["admin_ips"]);
        assert!(u[0].field.starts_with("lists[admin_ips]"), "{}", u[0]);
    }
}
