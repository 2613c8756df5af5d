//! Plans a run: configuration, organization, due reports, shared cost data → fan-out items.
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use orgpulse_workflow::messages::{PlanEvent, PlanOutput};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let planner = orgpulse_workflow::env::planner("orgpulse-plan").await?;
    let planner = &planner;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<PlanEvent>| async move {
            let plan = planner.plan(&event.payload).await.map_err(diagnostic)?;
            Ok::<PlanOutput, Diagnostic>(plan.output)
        },
    ))
    .await
}

fn diagnostic(err: orgpulse_workflow::Error) -> Diagnostic {
    Diagnostic {
        error_type: err.error_type().into(),
        error_message: err.to_string(),
    }
}
