//! Paging: `result_info` (page based on DNS, cursor based on rulesets) and [`Page`].

use serde::{Deserialize, Serialize};

/// The envelope's `result_info`: page-based fields and/or a cursor, depending on the endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResultInfo {
    /// Current page (1-based), page-based endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
    /// Items on this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Items on all pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u32>,
    /// Number of pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_pages: Option<u32>,
    /// Cursor for the next page, cursor-based endpoints (empty or absent at the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// `cursors.after`/`cursors.before`, the cursor form of list items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursors: Option<Cursors>,
}

/// The `cursors` object of `result_info` (list items).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Cursors {
    /// Cursor of the next page (absent at the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Cursor of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}

impl ResultInfo {
    /// Whether a page-based listing has another page after this one. Stops on
    /// `page >= total_pages` or a short page, so no empty extra page is fetched.
    pub fn has_next_page(&self) -> bool {
        let (Some(page), Some(per_page)) = (self.page, self.per_page) else {
            return false;
        };
        if let Some(total_pages) = self.total_pages {
            return page < total_pages;
        }
        if let Some(total) = self.total_count {
            return u64::from(page) * u64::from(per_page) < u64::from(total);
        }
        self.count.is_some_and(|c| c >= per_page && c > 0)
    }

    /// The cursor for the next page of a cursor-based listing, if any.
    pub fn next_cursor(&self) -> Option<&str> {
        self.cursor
            .as_deref()
            .or_else(|| self.cursors.as_ref().and_then(|c| c.after.as_deref()))
            .filter(|c| !c.is_empty())
    }
}

/// One page of a listing, with its paging information.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The page's `result_info` (default when the API sent none).
    pub info: ResultInfo,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_based_stop_conditions() {
        let mut i = ResultInfo {
            page: Some(1),
            per_page: Some(2),
            count: Some(2),
            total_count: Some(3),
            ..Default::default()
        };
        assert!(i.has_next_page());
        i.page = Some(2);
        i.count = Some(1);
        assert!(!i.has_next_page());
        let j = ResultInfo {
            page: Some(3),
            per_page: Some(5),
            total_pages: Some(3),
            ..Default::default()
        };
        assert!(!j.has_next_page());
        let k = ResultInfo {
            page: Some(1),
            per_page: Some(5),
            count: Some(4),
            ..Default::default()
        };
        assert!(!k.has_next_page());
    }

    #[test]
    fn cursor_ends_when_empty() {
        let i = ResultInfo {
            cursor: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(i.next_cursor(), None);
        let j = ResultInfo {
            cursor: Some("abc".into()),
            ..Default::default()
        };
        assert_eq!(j.next_cursor(), Some("abc"));
    }
}
