//! Requests and tokens per minute, as the API limited them (its rate-limit
//! guide): each organization, per model, within the last minute of the
//! mock's clock. A request counts as one request and as its prompt's tokens
//! plus its `max_tokens`, the most it can use; one over either limit is
//! refused with the API's 429, and said when it would fit.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

/// The window the limits count over.
const MINUTE: Duration = Duration::from_secs(60);

/// The limits per organization and model; none by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RateLimits {
    /// Requests per minute.
    pub(crate) rpm: Option<u32>,
    /// Tokens per minute.
    pub(crate) tpm: Option<u32>,
}

impl RateLimits {
    pub(crate) fn is_off(&self) -> bool {
        self.rpm.is_none() && self.tpm.is_none()
    }
}

/// Which limit a refused request is over, as the API's error `type` said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Over {
    Requests,
    Tokens,
}

/// A request refused: the limit it is over, the limit and what the minute
/// would hold with it, and how long until it would fit.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Refused {
    pub(crate) over: Over,
    pub(crate) limit: u32,
    pub(crate) current: u64,
    pub(crate) retry_after: Duration,
}

impl Refused {
    /// The API's words: `Rate limit reached for default-text-davinci-003 in
    /// organization org-... on requests per min. Limit: 3.000000 / min.
    /// Current: 4.000000 / min.`
    pub(crate) fn message(&self, model: &str, organization: &str) -> String {
        let what = match self.over {
            Over::Requests => "requests",
            Over::Tokens => "tokens",
        };
        format!(
            "Rate limit reached for default-{model} in organization {organization} on {what} per \
             min. Limit: {:.6} / min. Current: {:.6} / min.",
            f64::from(self.limit),
            self.current as f64,
        )
    }

    /// The error's `type`.
    pub(crate) fn kind(&self) -> &'static str {
        match self.over {
            Over::Requests => "requests",
            Over::Tokens => "tokens",
        }
    }
}

/// What each organization and model used within the last minute.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limits: RwLock<RateLimits>,
    /// Whether `limits` are off, as last set: every request asks, and a
    /// load shares no cache line the way even a read lock's count does.
    off: AtomicBool,
    /// By (organization, model): what each used within the last minute.
    used: Mutex<HashMap<(String, String), Minute>>,
}

/// When each admitted request came (mock time) and its tokens, oldest
/// first.
type Minute = VecDeque<(Duration, u64)>;

impl Default for RateLimiter {
    fn default() -> RateLimiter {
        RateLimiter::new(RateLimits::default())
    }
}

impl RateLimiter {
    pub(crate) fn new(limits: RateLimits) -> RateLimiter {
        RateLimiter {
            limits: RwLock::new(limits),
            off: AtomicBool::new(limits.is_off()),
            used: Mutex::default(),
        }
    }

    /// Whether no limit is set: requests are then not counted.
    pub(crate) fn is_off(&self) -> bool {
        self.off.load(Ordering::Acquire)
    }

    pub(crate) fn limits(&self) -> RateLimits {
        *self.limits.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// New limits. What was counted while limits were on still counts;
    /// nothing is counted while they are off.
    pub(crate) fn set_limits(&self, limits: RateLimits) {
        let mut set = self.limits.write().unwrap_or_else(PoisonError::into_inner);
        *set = limits;
        self.off.store(limits.is_off(), Ordering::Release);
    }

    /// Admits a request of `tokens` from `organization` to `model` at mock
    /// time `now`, counting it, or refuses it without counting it.
    pub(crate) fn admit(
        &self,
        organization: &str,
        model: &str,
        tokens: u64,
        now: Duration,
    ) -> Result<(), Refused> {
        let limits = self.limits();
        if limits.is_off() {
            return Ok(());
        }
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        let window = used
            .entry((organization.to_owned(), model.to_owned()))
            .or_default();
        while window.front().is_some_and(|(at, _)| *at + MINUTE <= now) {
            window.pop_front();
        }
        // When the oldest requests leave the window, until what is left
        // and this request fit under `limit`.
        let fits_after = |limit: u64, weight: &dyn Fn(u64) -> u64, total: u64, this: u64| {
            let mut left = total + this;
            for (at, tokens) in window.iter() {
                if left <= limit {
                    break;
                }
                left -= weight(*tokens);
                if left <= limit {
                    return (*at + MINUTE).saturating_sub(now);
                }
            }
            // More than a minute's worth on its own: no wait will do.
            MINUTE
        };
        let requests = window.len() as u64;
        if let Some(rpm) = limits.rpm
            && requests + 1 > u64::from(rpm)
        {
            return Err(Refused {
                over: Over::Requests,
                limit: rpm,
                current: requests + 1,
                retry_after: fits_after(u64::from(rpm), &|_| 1, requests, 1),
            });
        }
        let spent: u64 = window.iter().map(|(_, tokens)| tokens).sum();
        if let Some(tpm) = limits.tpm
            && spent + tokens > u64::from(tpm)
        {
            return Err(Refused {
                over: Over::Tokens,
                limit: tpm,
                current: spent + tokens,
                retry_after: fits_after(u64::from(tpm), &|tokens| tokens, spent, tokens),
            });
        }
        window.push_back((now, tokens));
        Ok(())
    }

    /// Forgets what was used (a reset).
    pub(crate) fn clear(&self) {
        self.used
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn off_by_default() {
        let limiter = RateLimiter::default();
        assert!(limiter.is_off());
        for _ in 0..1000 {
            assert_eq!(limiter.admit("org", "m", 1_000_000, secs(0)), Ok(()));
        }
    }

    #[test]
    fn is_off_follows_the_limits_set() {
        let limiter = RateLimiter::new(RateLimits {
            rpm: Some(3),
            tpm: None,
        });
        assert!(!limiter.is_off());
        limiter.set_limits(RateLimits::default());
        assert!(limiter.is_off());
        limiter.set_limits(RateLimits {
            rpm: None,
            tpm: Some(10),
        });
        assert!(!limiter.is_off());
    }

    #[test]
    fn the_request_over_rpm_is_refused_until_the_oldest_leaves_the_minute() {
        let limiter = RateLimiter::new(RateLimits {
            rpm: Some(3),
            tpm: None,
        });
        for at in [0, 10, 20] {
            limiter
                .admit("org-1", "text-davinci-003", 10, secs(at))
                .unwrap();
        }
        let refused = limiter
            .admit("org-1", "text-davinci-003", 10, secs(30))
            .unwrap_err();
        assert_eq!(
            (refused.over, refused.limit, refused.current),
            (Over::Requests, 3, 4)
        );
        // The first one leaves the window at 60 s.
        assert_eq!(refused.retry_after, secs(30));
        assert_eq!(
            refused.message("text-davinci-003", "org-1"),
            "Rate limit reached for default-text-davinci-003 in organization org-1 on requests \
             per min. Limit: 3.000000 / min. Current: 4.000000 / min."
        );
        assert_eq!(refused.kind(), "requests");
        // A refused request is not counted; at 60 s it fits.
        assert!(
            limiter
                .admit("org-1", "text-davinci-003", 10, secs(59))
                .is_err()
        );
        assert_eq!(
            limiter.admit("org-1", "text-davinci-003", 10, secs(60)),
            Ok(())
        );
    }

    #[test]
    fn organizations_and_models_are_limited_apart() {
        let limiter = RateLimiter::new(RateLimits {
            rpm: Some(1),
            tpm: None,
        });
        limiter.admit("org-1", "a", 1, secs(0)).unwrap();
        assert_eq!(limiter.admit("org-2", "a", 1, secs(0)), Ok(()));
        assert_eq!(limiter.admit("org-1", "b", 1, secs(0)), Ok(()));
        assert!(limiter.admit("org-1", "a", 1, secs(0)).is_err());
    }

    #[test]
    fn tokens_count_the_prompt_and_max_tokens_and_wait_for_enough_to_leave() {
        let limiter = RateLimiter::new(RateLimits {
            rpm: None,
            tpm: Some(1000),
        });
        limiter.admit("org", "m", 400, secs(0)).unwrap();
        limiter.admit("org", "m", 400, secs(20)).unwrap();
        let refused = limiter.admit("org", "m", 600, secs(30)).unwrap_err();
        assert_eq!((refused.over, refused.current), (Over::Tokens, 1400));
        // 400 must leave: the first request, at 60 s.
        assert_eq!(refused.retry_after, secs(30));
        assert_eq!(refused.kind(), "tokens");
        // More than the limit on its own never fits.
        let alone = limiter.admit("org", "m", 5000, secs(30)).unwrap_err();
        assert_eq!(alone.retry_after, MINUTE);
    }

    #[test]
    fn new_limits_apply_to_what_was_used_and_clear_forgets_it() {
        let limiter = RateLimiter::new(RateLimits {
            rpm: Some(10),
            tpm: None,
        });
        limiter.admit("org", "m", 1, secs(0)).unwrap();
        limiter.admit("org", "m", 1, secs(0)).unwrap();
        limiter.set_limits(RateLimits {
            rpm: Some(2),
            tpm: None,
        });
        assert!(limiter.admit("org", "m", 1, secs(1)).is_err());
        limiter.clear();
        assert_eq!(limiter.admit("org", "m", 1, secs(1)), Ok(()));
    }
}
