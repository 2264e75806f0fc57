//! The built `openai` binary, end to end against the standalone mock on
//! 127.0.0.1: every subcommand, the fine-tune story, Azure, errors, and
//! prepare_data's reports.

mod api;
mod azure;
mod fine_tunes;
mod help;
mod mock;
mod prepare_data;
