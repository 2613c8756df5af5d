//! Reports one account: builds its due reports and delivers each to each channel exactly once.
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use orgpulse_workflow::messages::WorkItem;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let reporter = orgpulse_workflow::env::reporter("orgpulse-report").await?;
    let reporter = &reporter;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<WorkItem>| async move {
        let deadline = orgpulse_workflow::report::lambda_deadline(event.context.deadline);
        reporter
            .handle_until(&event.payload, Some(deadline))
            .await
            .map_err(diagnostic)
    }))
    .await
}

fn diagnostic(err: orgpulse_workflow::Error) -> Diagnostic {
    Diagnostic {
        error_type: err.error_type().into(),
        error_message: err.to_string(),
    }
}
