use super::*;

fn store(max: usize, idle_ms: u64, unused_ms: u64) -> SessionStore {
    SessionStore::new(Limits {
        max,
        idle: Duration::from_millis(idle_ms),
        unused: Duration::from_millis(unused_ms),
    })
}

fn create(store: &SessionStore, kind: Kind) -> Arc<HttpSession> {
    store.create(kind).map(|c| c.session).unwrap()
}

#[test]
fn ids_are_unique_128_bit_hex() {
    let store = store(10, 60_000, 60_000);
    let a = create(&store, Kind::Streamable);
    let b = create(&store, Kind::Streamable);
    assert_eq!(a.id.len(), 32);
    assert!(a.id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a.id, b.id);
}

#[test]
fn kinds_do_not_mix_and_the_cap_holds_when_all_are_used() {
    let store = store(2, 60_000, 60_000);
    let s = create(&store, Kind::Legacy);
    assert!(store.get(&s.id, Kind::Streamable).is_none());
    assert!(store.get(&s.id, Kind::Legacy).is_some());
    let t = create(&store, Kind::Streamable);
    store.mark_used(&s);
    store.mark_used(&t);
    assert_eq!(store.create(Kind::Streamable).err().map(|f| f.max), Some(2));
    assert_eq!(store.counts(), (1, 1));
}

#[test]
fn a_full_store_evicts_the_least_recently_used_unused_session_only() {
    let store = store(3, 60_000, 60_000);
    let active = create(&store, Kind::Streamable);
    store.mark_used(&active);
    let old = create(&store, Kind::Streamable);
    let newer = create(&store, Kind::Streamable);
    // Activity moves `old` behind `newer` in the LRU order.
    assert!(store.get(&old.id, Kind::Streamable).is_some());
    let created = store.create(Kind::Streamable).unwrap();
    let evicted: Vec<&str> = created.evicted.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(evicted, [newer.id.as_str()]);
    assert!(store.get(&newer.id, Kind::Streamable).is_none());
    assert!(store.get(&active.id, Kind::Streamable).is_some());
    assert!(store.get(&old.id, Kind::Streamable).is_some());
    assert_eq!(store.counts(), (3, 0));
}

#[test]
fn a_flood_of_10000_creates_never_evicts_used_sessions_and_stays_fast() {
    let store = store(1000, 60_000, 60_000);
    let mut active = Vec::new();
    for _ in 0..10 {
        let s = create(&store, Kind::Streamable);
        store.mark_used(&s);
        active.push(s);
    }
    let started = Instant::now();
    for _ in 0..10_000 {
        store.create(Kind::Streamable).unwrap();
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(1),
        "10,000 creates took {elapsed:?}"
    );
    assert_eq!(store.counts().0, 1000);
    assert_eq!(store.unused_count(), 990);
    for s in &active {
        assert!(store.get(&s.id, Kind::Streamable).is_some());
    }
}

#[test]
fn when_every_session_is_used_an_expired_one_makes_room() {
    let store = store(1, 10, 10);
    let s = create(&store, Kind::Streamable);
    store.mark_used(&s);
    assert!(store.create(Kind::Streamable).is_err());
    // Past the expiry and past FULL_SCAN_EVERY since the scan done by the refused create.
    std::thread::sleep(FULL_SCAN_EVERY + Duration::from_millis(20));
    let created = store.create(Kind::Streamable).unwrap();
    assert_eq!(created.evicted.len(), 1);
    assert_eq!(created.evicted[0].id, s.id);
}

#[test]
fn idle_streamable_sessions_expire_unless_streaming() {
    let store = store(10, 10, 60_000);
    let idle = create(&store, Kind::Streamable);
    let streaming = create(&store, Kind::Streamable);
    store.mark_used(&idle);
    store.mark_used(&streaming);
    assert!(streaming.open_stream());
    assert!(!streaming.open_stream(), "a second stream is refused");
    std::thread::sleep(Duration::from_millis(30));
    assert!(
        store.get(&idle.id, Kind::Streamable).is_none(),
        "expired before the reaper runs"
    );
    let expired = store.remove_expired();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].id, idle.id);
    assert!(store.get(&streaming.id, Kind::Streamable).is_some());
}

#[test]
fn unused_sessions_expire_fast_even_with_an_open_stream() {
    let store = store(10, 60_000, 20);
    let used = create(&store, Kind::Streamable);
    store.mark_used(&used);
    let lurker = create(&store, Kind::Streamable);
    assert!(lurker.open_stream());
    let legacy = create(&store, Kind::Legacy);
    assert!(legacy.open_stream());
    std::thread::sleep(Duration::from_millis(40));
    let mut expired: Vec<String> = store
        .remove_expired()
        .iter()
        .map(|s| s.id.clone())
        .collect();
    expired.sort();
    let mut want = vec![lurker.id.clone(), legacy.id.clone()];
    want.sort();
    assert_eq!(expired, want);
    assert_eq!(store.unused_count(), 0);
    assert!(store.get(&used.id, Kind::Streamable).is_some());
}

#[test]
fn closing_a_stream_restarts_the_idle_clock() {
    let store = store(10, 30, 30);
    let s = create(&store, Kind::Streamable);
    store.mark_used(&s);
    assert!(s.open_stream());
    std::thread::sleep(Duration::from_millis(40));
    store.close_stream(&s);
    assert!(store.get(&s.id, Kind::Streamable).is_some());
}

#[test]
fn refusing_a_flood_against_a_store_full_of_used_sessions_is_cheap() {
    let store = store(1000, 60_000, 60_000);
    for _ in 0..1000 {
        let s = create(&store, Kind::Streamable);
        store.mark_used(&s);
    }
    let started = Instant::now();
    for _ in 0..10_000 {
        assert!(store.create(Kind::Streamable).is_err());
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(500),
        "10,000 refusals took {elapsed:?}"
    );
}

#[test]
fn an_adopted_session_keeps_its_id_and_use_and_is_taken_in_once() {
    let store = store(2, 60_000, 60_000);
    let used = store
        .adopt("a".repeat(32).as_str(), Arc::new(Session::new()), true)
        .unwrap()
        .session;
    assert_eq!(used.id, "a".repeat(32));
    assert!(
        !used.unused(),
        "used on another replica: never evicted here"
    );
    assert!(!store.mark_used(&used), "its first use was elsewhere");
    let again = store
        .adopt(&used.id, Arc::new(Session::new()), false)
        .unwrap()
        .session;
    assert!(
        Arc::ptr_eq(&used, &again),
        "a concurrent take-in gets the same copy"
    );
    let fresh = store
        .adopt("b".repeat(32).as_str(), Arc::new(Session::new()), false)
        .unwrap();
    assert!(fresh.session.unused());
    assert!(store.mark_used(&fresh.session));
    assert_eq!(store.create(Kind::Streamable).err().map(|f| f.max), Some(2));
}

#[test]
fn a_session_ended_elsewhere_is_gone_here_and_active_ones_are_listed() {
    let store = store(4, 60_000, 60_000);
    let open = create(&store, Kind::Streamable);
    let ended = create(&store, Kind::Streamable);
    let legacy = create(&store, Kind::Legacy);
    ended.mcp.close();
    assert!(store.get(&ended.id, Kind::Streamable).is_none());
    let mut active = store.active_within(Duration::from_secs(5));
    active.sort();
    let mut expected = vec![open.id.clone(), ended.id.clone()];
    expected.sort();
    assert_eq!(
        active,
        expected,
        "Streamable sessions only: {legacy:?}",
        legacy = legacy.id
    );
}
