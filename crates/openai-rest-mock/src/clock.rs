//! The mock's clock: wall time at a chosen speed, plus whatever a test
//! advanced it by. Every lifecycle (a fine-tune, a deployment) is a function
//! of this clock, read when asked, so nothing runs in the background.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) struct Clock {
    started: Instant,
    /// Unix seconds when the mock started.
    epoch: u64,
    speed: f64,
    advanced: Mutex<Duration>,
}

impl Clock {
    pub(crate) fn new(speed: f64) -> Clock {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        Clock {
            started: Instant::now(),
            epoch,
            speed,
            advanced: Mutex::new(Duration::ZERO),
        }
    }

    /// Mock time since the mock started.
    pub(crate) fn elapsed(&self) -> Duration {
        let advanced = *self.advanced.lock().unwrap_or_else(PoisonError::into_inner);
        let wall = self.started.elapsed();
        // At the usual speed, no round trip through floating point: it
        // costs more than the rest, and gives back the same nanoseconds.
        let mock = if self.speed == 1.0 {
            wall
        } else {
            wall.mul_f64(self.speed)
        };
        mock + advanced
    }

    /// Mock time as Unix seconds, for `created_at` and the like.
    pub(crate) fn unix(&self) -> u64 {
        self.unix_at(self.elapsed())
    }

    /// A moment of mock time as Unix seconds.
    pub(crate) fn unix_at(&self, at: Duration) -> u64 {
        self.epoch + at.as_secs()
    }

    pub(crate) fn advance(&self, by: Duration) {
        *self.advanced.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }

    /// How long in wall time until mock time reaches `at`; `None` when the
    /// clock stands still (speed 0) and only an advance gets it there.
    pub(crate) fn wall_until(&self, at: Duration) -> Option<Duration> {
        let left = at.saturating_sub(self.elapsed());
        if left.is_zero() {
            return Some(Duration::ZERO);
        }
        (self.speed > 0.0).then(|| left.div_f64(self.speed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_clock_moves_only_when_advanced() {
        let clock = Clock::new(0.0);
        assert_eq!(clock.elapsed(), Duration::ZERO);
        assert_eq!(clock.wall_until(Duration::from_secs(1)), None);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.elapsed(), Duration::from_secs(90));
        assert_eq!(clock.unix(), clock.epoch + 90);
        assert_eq!(
            clock.wall_until(Duration::from_secs(5)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn a_clock_at_the_usual_speed_is_wall_time_plus_its_advances() {
        let clock = Clock::new(1.0);
        clock.advance(Duration::from_secs(5));
        let before = clock.started.elapsed();
        let elapsed = clock.elapsed();
        let after = clock.started.elapsed();
        assert!(before + Duration::from_secs(5) <= elapsed, "{elapsed:?}");
        assert!(elapsed <= after + Duration::from_secs(5), "{elapsed:?}");
    }

    #[test]
    fn a_fast_clock_waits_less_wall_time() {
        let clock = Clock::new(100.0);
        let wait = clock.wall_until(Duration::from_secs(10)).unwrap();
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
    }
}
