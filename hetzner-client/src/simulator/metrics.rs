//! Simulated `GET /servers/{id}/metrics` and `GET /load_balancers/{id}/metrics`: the
//! documented series of each requested type, sampled every `step` seconds from `start` to
//! `end` (200 samples when no step is given, at most 500, as the API adjusts it), with small
//! values that vary from sample to sample (plotting clients need a range).

use serde_json::{Map, Value, json};

use super::state::{Query, Reply};

/// The series of each server metrics type.
pub(crate) const SERVER: &[(&str, &[&str])] = &[
    ("cpu", &["cpu"]),
    (
        "disk",
        &[
            "disk.0.iops.read",
            "disk.0.iops.write",
            "disk.0.bandwidth.read",
            "disk.0.bandwidth.write",
        ],
    ),
    (
        "network",
        &[
            "network.0.pps.in",
            "network.0.pps.out",
            "network.0.bandwidth.in",
            "network.0.bandwidth.out",
        ],
    ),
];

/// The series of each load balancer metrics type.
pub(crate) const LOAD_BALANCER: &[(&str, &[&str])] = &[
    ("open_connections", &["open_connections"]),
    ("connections_per_second", &["connections_per_second"]),
    ("requests_per_second", &["requests_per_second"]),
    ("bandwidth", &["bandwidth.in", "bandwidth.out"]),
];

/// Samples when the request gives no step, and the most the API returns.
const DEFAULT_SAMPLES: i64 = 200;
const MAX_SAMPLES: i64 = 500;

/// The metrics answer for `query` (`type`, repeated or comma-separated; `start`; `end`;
/// optional `step`) over the series in `known`.
pub(crate) fn reply(query: &Query, known: &[(&str, &[&str])]) -> Reply {
    let kinds: Vec<&str> = query
        .all("type")
        .into_iter()
        .flat_map(|t| t.split(','))
        .collect();
    let mut series_names = Vec::new();
    for kind in &kinds {
        match known.iter().find(|(k, _)| k == kind) {
            Some((_, series)) => series_names.extend_from_slice(series),
            None => return Reply::invalid("type", "unknown metrics type"),
        }
    }
    if series_names.is_empty() {
        return Reply::invalid("type", "is required");
    }
    let parse = |key: &str| {
        query
            .get(key)
            .and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok())
    };
    let (Some(start), Some(end)) = (parse("start"), parse("end")) else {
        return Reply::invalid("start", "start and end must be RFC 3339 times");
    };
    if end < start {
        return Reply::invalid("end", "must not be before start");
    }
    let span = end.timestamp() - start.timestamp();
    let asked = query.get("step").and_then(|s| s.parse::<i64>().ok());
    let step = asked
        .unwrap_or(span / DEFAULT_SAMPLES)
        .max(1)
        .max((span + MAX_SAMPLES - 1) / MAX_SAMPLES);
    let samples = span / step + 1;
    let series: Map<String, Value> = series_names
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let values: Vec<Value> = (0..samples)
                .map(|i| {
                    let wave = (i + 3 * i64::try_from(n).unwrap_or(0)) % 12;
                    let value = 0.5 + 0.25 * f64::from(u8::try_from(wave).unwrap_or(0));
                    json!([start.timestamp() + i * step, format!("{value}")])
                })
                .collect();
            ((*name).to_owned(), json!({ "values": values }))
        })
        .collect();
    Reply::json(
        200,
        json!({ "metrics": {
            "start": start.to_rfc3339(), "end": end.to_rfc3339(), "step": step,
            "time_series": series,
        } }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Query {
        Query(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn documented_series_with_varying_samples() {
        let q = query(&[
            ("type", "cpu,disk"),
            ("start", "2026-01-01T00:00:00Z"),
            ("end", "2026-01-01T01:00:00Z"),
        ]);
        let body = reply(&q, SERVER).body.unwrap();
        let series = body["metrics"]["time_series"].as_object().unwrap();
        assert_eq!(series.len(), 5);
        let cpu = series["cpu"]["values"].as_array().unwrap();
        assert_eq!(cpu.len(), 201); // 3600 s / 200 = 18 s steps, both ends
        assert_eq!(body["metrics"]["step"], 18);
        assert_ne!(cpu[0][1], cpu[1][1]);
        let many = query(&[
            ("type", "bandwidth"),
            ("start", "2026-01-01T00:00:00Z"),
            ("end", "2026-01-02T00:00:00Z"),
            ("step", "1"),
        ]);
        let body = reply(&many, LOAD_BALANCER).body.unwrap();
        assert!(
            body["metrics"]["time_series"]["bandwidth.in"]["values"]
                .as_array()
                .unwrap()
                .len()
                <= 501
        );
        let unknown = reply(&query(&[("type", "gpu")]), SERVER);
        assert_eq!(unknown.status, 422);
    }
}
