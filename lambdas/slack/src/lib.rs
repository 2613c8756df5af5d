//! Slack delivery for orgpulse: a cost report rendered as Block Kit (and as terminal text),
//! checked against Slack's limits, and posted with the Web API.

pub mod client;
pub mod html;
pub mod limits;
pub mod money;
pub mod mrkdwn;
pub mod render;
pub mod text;
mod view;

pub use client::{
    AuthInfo, ConversationInfo, Posted, SlackClient, SlackClientConfig, SlackError, SlackErrorCode,
    SlackToken, TokenRefresh, MEMBERSHIP_TYPES,
};
pub use html::{mrkdwn_to_html, render_page, render_page_with_report, RenderedPage};
pub use limits::{check as check_limits, LimitViolations, Violation};
pub use render::{delivery_key, delivery_key_of, render_report, PostMessage, REPORT_EVENT_TYPE};
pub use text::render_text;
