//! Summarises a run for the operators' channel.
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use orgpulse_workflow::messages::PlanOutput;
use orgpulse_workflow::summarize::SummaryOutput;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let summarizer = orgpulse_workflow::env::summarizer("orgpulse-summarize").await?;
    let summarizer = &summarizer;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<PlanOutput>| async move {
            let (output, _) = summarizer
                .summarize(&event.payload)
                .await
                .map_err(diagnostic)?;
            Ok::<SummaryOutput, Diagnostic>(output)
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
