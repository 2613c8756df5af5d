//! Summarises a run for the operators' channel, or tells it why the run failed before that.
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use orgpulse_workflow::run_failure::SummarizeEvent;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let summarizer = orgpulse_workflow::env::summarizer("orgpulse-summarize").await?;
    let summarizer = &summarizer;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<SummarizeEvent>| async move {
            let output = match &event.payload {
                SummarizeEvent::Plan(plan) => {
                    serde_json::to_value(summarizer.summarize(plan).await.map_err(diagnostic)?.0)
                }
                SummarizeEvent::RunFailure { run_failure } => serde_json::to_value(
                    summarizer
                        .report_run_failure(run_failure)
                        .await
                        .map_err(diagnostic)?,
                ),
            };
            output.map_err(|err: serde_json::Error| Diagnostic {
                error_type: "Permanent".into(),
                error_message: format!("the answer could not be encoded: {err}"),
            })
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
