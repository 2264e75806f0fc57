//! Azure's deployments resource: typed records and their lifecycle, which
//! provisions a deployment `notRunning` → `running` after 1 s →
//! `succeeded` after 3 s of mock time, from its creation or its last
//! update. A documented deployment never moves.

use std::time::Duration;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::json::Json;

const STEPS: [(Duration, &str); 2] = [
    (Duration::from_secs(1), "running"),
    (Duration::from_secs(3), "succeeded"),
];

/// A deployment.
#[derive(Debug)]
pub(crate) struct Deployment {
    pub(crate) id: String,
    /// Azure's `State`: `notRunning`, `running`, `succeeded`, ...
    pub(crate) status: String,
    /// Unix seconds of its last change.
    pub(crate) updated_at: Option<u64>,
    /// Mock time when it last started provisioning; `None` for a documented
    /// one, which never moves.
    pub(crate) provisioned_from: Option<Duration>,
    /// The rest of the object (its `model`, `scale_settings`, ...) as
    /// created, documented or patched.
    pub(crate) shape: Json,
}

impl Deployment {
    /// A deployment as its object describes it; `None` without an id.
    pub(crate) fn from_object(object: Json) -> Option<Deployment> {
        let Some(Json::String(id)) = object.get("id") else {
            return None;
        };
        let status = match object.get("status") {
            Some(Json::String(status)) => status.clone(),
            _ => String::new(),
        };
        Some(Deployment {
            id: id.clone(),
            status,
            updated_at: object.get("updated_at").and_then(Json::as_u64),
            provisioned_from: None,
            shape: object,
        })
    }

    /// A deployment made at mock time `now` from `object` (a created or
    /// patched deployment): `notRunning` from then on.
    pub(crate) fn provisioning(object: Json, now: Duration, clock: &Clock) -> Option<Deployment> {
        let mut deployment = Deployment::from_object(object)?;
        deployment.status = "notRunning".into();
        deployment.updated_at = Some(clock.unix_at(now));
        deployment.provisioned_from = Some(now);
        Some(deployment)
    }

    /// Whether it can be updated: only in a final state.
    pub(crate) fn is_final(&self) -> bool {
        matches!(
            self.status.as_str(),
            "succeeded" | "failed" | "canceled" | "deleted"
        )
    }

    pub(crate) fn is_ready(&self) -> bool {
        self.status == "succeeded"
    }

    /// The deployment as Azure shows it.
    pub(crate) fn to_azure(&self) -> Json {
        let mut object = self.shape.clone();
        object.replace("status", self.status.as_str().into());
        if let Some(updated_at) = self.updated_at {
            object.replace("updated_at", updated_at.into());
        }
        object
    }

    fn advance(&mut self, now: Duration, clock: &Clock) {
        let Some(from) = self.provisioned_from else {
            return;
        };
        for (after, status) in STEPS {
            if from + after <= now && self.status != status {
                self.status = status.into();
                self.updated_at = Some(clock.unix_at(from + after));
            }
        }
    }
}

/// The deployments, in the order created.
#[derive(Debug, Default)]
pub(crate) struct Deployments {
    deployments: Vec<Deployment>,
}

impl Deployments {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Deployment> {
        self.deployments.iter()
    }

    pub(crate) fn get(&self, id: &str) -> Result<&Deployment, ApiError> {
        (self.deployments.iter())
            .find(|deployment| deployment.id == id)
            .ok_or_else(|| no_such_deployment(id))
    }

    /// Adds `deployment`, or replaces the one of its id.
    pub(crate) fn put(&mut self, deployment: Deployment) {
        match (self.deployments.iter_mut()).find(|known| known.id == deployment.id) {
            Some(known) => *known = deployment,
            None => self.deployments.push(deployment),
        }
    }

    /// Adds a documented `deployment`, last, in place of one of its id.
    pub(crate) fn seed(&mut self, deployment: Deployment) {
        self.deployments.retain(|known| known.id != deployment.id);
        self.deployments.push(deployment);
    }

    pub(crate) fn delete(&mut self, id: &str) -> Result<(), ApiError> {
        let before = self.deployments.len();
        self.deployments.retain(|deployment| deployment.id != id);
        if self.deployments.len() == before {
            return Err(no_such_deployment(id));
        }
        Ok(())
    }

    /// The steps due by `now` are taken.
    pub(crate) fn advance(&mut self, now: Duration, clock: &Clock) {
        for deployment in &mut self.deployments {
            deployment.advance(now, clock);
        }
    }
}

/// Azure's answer for a deployment it does not have.
pub(crate) fn no_such_deployment(id: &str) -> ApiError {
    ApiError {
        code: Some("notFound"),
        ..ApiError::invalid_request(
            404,
            format!("The specified deployment '{id}' does not exist."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(clock: &Clock) -> Deployment {
        let object: Json =
            serde_json::from_str(r#"{"id":"deployment-1","model":"curie","status":"succeeded","created_at":1,"updated_at":1}"#)
                .unwrap();
        Deployment::provisioning(object, clock.elapsed(), clock).unwrap()
    }

    #[test]
    fn a_deployment_provisions_in_three_seconds_of_mock_time() {
        let clock = Clock::new(0.0);
        let mut deployments = Deployments::default();
        deployments.put(created(&clock));
        let status =
            |deployments: &Deployments| deployments.get("deployment-1").unwrap().status.clone();
        assert_eq!(status(&deployments), "notRunning");
        for (seconds, expected) in [(1, "running"), (1, "running"), (1, "succeeded")] {
            clock.advance(Duration::from_secs(seconds));
            deployments.advance(clock.elapsed(), &clock);
            assert_eq!(status(&deployments), expected);
        }
        let deployment = deployments.get("deployment-1").unwrap();
        assert!(deployment.is_ready() && deployment.is_final());
        assert_eq!(
            deployment.to_azure().get("updated_at"),
            Some(&Json::from(clock.unix()))
        );
    }

    #[test]
    fn a_documented_deployment_never_moves_and_deleting_twice_is_404() {
        let clock = Clock::new(0.0);
        let object = serde_json::from_str(r#"{"id":"d","status":"running"}"#).unwrap();
        let mut deployments = Deployments::default();
        deployments.seed(Deployment::from_object(object).unwrap());
        clock.advance(Duration::from_secs(60));
        deployments.advance(clock.elapsed(), &clock);
        assert_eq!(deployments.get("d").unwrap().status, "running");
        deployments.delete("d").unwrap();
        assert_eq!(deployments.delete("d").unwrap_err().status, 404);
    }
}
