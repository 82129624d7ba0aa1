//! Tests of the simulator state: action retention and the server name index.

use http::Method;

use super::*;

fn call(state: &mut State, method: Method, path: &str, body: &Value) -> Reply {
    super::super::routes::route(state, &method, path, &Query::default(), body)
}

#[tokio::test(start_paused = true)]
async fn finished_actions_beyond_the_retention_are_forgotten() {
    let mut state = State::new(Duration::from_secs(1));
    state.action_retention = 3;
    let ids: Vec<u64> = (0..5)
        .map(|n| state.start_action("noop", &[(n, "server")], None).id)
        .collect();
    state.tick();
    // running actions are always kept
    assert_eq!(state.actions.len(), 5);
    tokio::time::advance(Duration::from_secs(2)).await;
    state.tick();
    let kept: Vec<u64> = state.actions.keys().copied().collect();
    assert_eq!(kept, ids[2..]);
    // the index forgets them too
    assert_eq!(state.actions_of("server", 0).count(), 0);
    assert_eq!(state.actions_of("server", 4).count(), 1);
    assert_eq!(state.finished.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn the_name_index_follows_creates_renames_and_deletes() {
    let mut state = State::new(Duration::from_secs(1));
    let create =
        |name: &str| json!({ "name": name, "server_type": "cx22", "image": "ubuntu-24.04" });
    let first = call(&mut state, Method::POST, "/servers", &create("a"));
    assert_eq!(first.status, 201);
    let id = first
        .body
        .as_ref()
        .and_then(|b| b["server"]["id"].as_u64())
        .unwrap_or_default();
    assert_eq!(
        call(&mut state, Method::POST, "/servers", &create("a")).status,
        409
    );
    let renamed = call(
        &mut state,
        Method::PUT,
        &format!("/servers/{id}"),
        &json!({ "name": "b" }),
    );
    assert_eq!(renamed.status, 200);
    assert_eq!(state.server_named("b"), Some(id));
    assert_eq!(state.server_named("a"), None);
    assert_eq!(
        call(&mut state, Method::POST, "/servers", &create("a")).status,
        201
    );
    assert_eq!(
        call(&mut state, Method::POST, "/servers", &create("b")).status,
        409
    );
    assert_eq!(
        call(
            &mut state,
            Method::DELETE,
            &format!("/servers/{id}"),
            &Value::Null
        )
        .status,
        200
    );
    assert_eq!(state.server_named("b"), None);
    assert_eq!(
        call(&mut state, Method::POST, "/servers", &create("b")).status,
        201
    );
}
