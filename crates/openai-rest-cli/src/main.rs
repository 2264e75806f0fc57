#![doc = include_str!("../README.md")]

mod api;
mod cli;
mod connect;
mod dataset;
mod failure;
mod fine_tune;
mod output;
mod prepare_data;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, Tools};
use crate::failure::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let secrets = connect::secrets(&cli.connection, &connect::process_env);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.line(&secrets));
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Api(command) => {
            let session = connect::session(&cli.connection, &connect::process_env)?;
            // One thread: a command makes one call at a time, and the
            // prompts of fine_tunes.create read stdin in between.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Failure::new(format!("cannot start the async runtime: {e}")))?;
            runtime.block_on(api::run(&session, command))
        }
        Command::Tools(Tools::PrepareData { file, quiet }) => {
            let mut stdin = std::io::stdin().lock();
            let mut stdout = std::io::stdout().lock();
            prepare_data::run(&file, quiet, &mut stdin, &mut stdout)
        }
        Command::Completion { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "openai", &mut std::io::stdout());
            Ok(())
        }
    }
}
