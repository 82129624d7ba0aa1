//! DNS records: create (reconciling after an ambiguous failure), list with filters and pages,
//! get, patch, delete, the batch endpoint and the BIND zone-file export. Edits use `PATCH` (a `PUT` without `comment`/`tags`
//! would wipe them).

mod api;
mod model;
mod validate;

pub use api::{
    DnsApi, batch_request, create_request, delete_request, export_request, get_request,
    list_request, patch_request,
};
pub use model::{
    BatchPatch, DnsBatch, DnsBatchResult, DnsFilter, DnsRecord, DnsRecordPatch, NewDnsRecord,
    RecordType, Ttl,
};
pub use validate::{check_comment, check_content, check_dns_name, check_tag};
