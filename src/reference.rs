//! Reference data every claimed call reads — contact policies, holiday calendars, client names,
//! the current script and the support directory — kept in memory per instance for a few seconds.
//!
//! Why: a claim used to spend most of its time re-reading rows that change a few times a year.
//! A change made on this instance is seen at once (the writer calls `forget_*`); another instance
//! sees it within `FRESH_FOR`. Anything a handler must never miss — holds, breaks, claims, the
//! case's history — is still read from the database on every claim.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::{
    calls::script::CompiledScript,
    cases::{policy_store, Case},
    db::DbConn,
    error::AppResult,
    scheduling::{policy::ClientPolicies, ContactPolicy, CustomerRules, HolidayCalendar},
    support::matching::Organisation,
};

/// How long another instance's change may take to be seen here.
pub const FRESH_FOR: Duration = Duration::from_secs(5);

/// Values by key, each reloaded once it is older than the time to live.
pub struct TtlMap<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    pub fn new(ttl: Duration) -> Self {
        TtlMap {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached value, or `load`'s (cached when it succeeds). The lock is not held while
    /// loading, so two requests may both load; the last one wins, which is harmless.
    pub fn get_or_load(&self, key: K, load: impl FnOnce() -> AppResult<V>) -> AppResult<V> {
        if let Some((at, value)) = self.lock().get(&key) {
            if at.elapsed() < self.ttl {
                return Ok(value.clone());
            }
        }
        let value = load()?;
        self.lock().insert(key, (Instant::now(), value.clone()));
        Ok(value)
    }

    /// The value if it is still fresh.
    pub fn get(&self, key: &K) -> Option<V> {
        self.lock()
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, value)| value.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        self.lock().insert(key, (Instant::now(), value));
    }

    pub fn forget(&self, key: &K) {
        self.lock().remove(key);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// The per-instance reference data (see the module comment).
pub struct Reference {
    policies: TtlMap<i64, Arc<ClientPolicies>>,
    calendars: TtlMap<String, Arc<HolidayCalendar>>,
    client_names: TtlMap<i64, Arc<str>>,
    script: TtlMap<(), Arc<CompiledScript>>,
    directory: TtlMap<(), Arc<Vec<Organisation>>>,
}

impl Default for Reference {
    fn default() -> Self {
        Reference::with_ttl(FRESH_FOR)
    }
}

impl Reference {
    pub fn with_ttl(ttl: Duration) -> Self {
        Reference {
            policies: TtlMap::new(ttl),
            calendars: TtlMap::new(ttl),
            client_names: TtlMap::new(ttl),
            script: TtlMap::new(ttl),
            directory: TtlMap::new(ttl),
        }
    }

    /// The policy for one of a client's customers: the client's, tightened for their region.
    pub fn policy(
        &self,
        conn: &mut DbConn,
        client_id: i64,
        region: &str,
    ) -> AppResult<ContactPolicy> {
        let policies = self.policies.get_or_load(client_id, || {
            policy_store::policies_for(conn, client_id).map(Arc::new)
        })?;
        Ok(policies.for_region(region))
    }

    pub fn calendar(&self, conn: &mut DbConn, region: &str) -> AppResult<Arc<HolidayCalendar>> {
        self.calendars.get_or_load(region.to_string(), || {
            policy_store::calendar_for(conn, region).map(Arc::new)
        })
    }

    /// The contact rules for a case's customer.
    pub fn rules_for(&self, conn: &mut DbConn, case: &Case) -> AppResult<CustomerRules> {
        Ok(CustomerRules {
            policy: self.policy(conn, case.client_id, &case.region)?,
            zones: case.zones(),
            holidays: self.calendar(conn, &case.region)?,
        })
    }

    pub fn client_name(&self, conn: &mut DbConn, client_id: i64) -> AppResult<Arc<str>> {
        self.client_names.get_or_load(client_id, || {
            crate::accounts::store::client(conn, client_id).map(|c| Arc::from(c.name))
        })
    }

    pub fn script(&self, conn: &mut DbConn) -> AppResult<Arc<CompiledScript>> {
        self.script.get_or_load((), || {
            crate::calls::script_store::usable(conn).map(Arc::new)
        })
    }

    pub fn directory(&self, conn: &mut DbConn) -> AppResult<Arc<Vec<Organisation>>> {
        self.directory
            .get_or_load((), || crate::support::store::directory(conn).map(Arc::new))
    }

    pub fn forget_policy(&self, client_id: i64) {
        self.policies.forget(&client_id);
    }

    pub fn forget_calendars(&self) {
        self.calendars.clear();
    }

    pub fn forget_script(&self) {
        self.script.forget(&());
    }

    pub fn forget_directory(&self) {
        self.directory.forget(&());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_reused_until_they_expire_or_are_forgotten() {
        let map: TtlMap<i64, i64> = TtlMap::new(Duration::from_secs(60));
        let loads = std::cell::Cell::new(0);
        let load = |v: i64| {
            let loads = &loads;
            move || {
                loads.set(loads.get() + 1);
                Ok(v)
            }
        };
        assert_eq!(map.get_or_load(1, load(10)).unwrap(), 10);
        assert_eq!(map.get_or_load(1, load(11)).unwrap(), 10);
        assert_eq!(loads.get(), 1);
        map.forget(&1);
        assert_eq!(map.get_or_load(1, load(12)).unwrap(), 12);
        assert_eq!(loads.get(), 2);

        let expired: TtlMap<i64, i64> = TtlMap::new(Duration::ZERO);
        assert_eq!(expired.get_or_load(1, || Ok(1)).unwrap(), 1);
        assert_eq!(expired.get_or_load(1, || Ok(2)).unwrap(), 2);
    }

    #[test]
    fn a_failed_load_is_not_cached() {
        let map: TtlMap<i64, i64> = TtlMap::new(Duration::from_secs(60));
        assert!(map
            .get_or_load(1, || Err(crate::error::AppError::NotFound))
            .is_err());
        assert_eq!(map.get_or_load(1, || Ok(5)).unwrap(), 5);
    }
}
