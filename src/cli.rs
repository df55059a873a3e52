//! The command line for operators and scripts. Every command reads the same `OUTREACH_*`
//! configuration as the service.

use clap::{Parser, Subcommand};

use crate::{accounts, audit::Actor, config::Config, db, error::AppError, startup, telemetry};

#[derive(Parser, Debug)]
#[command(
    name = "outreach",
    version,
    about = "Debt and hardship outreach service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a user and print a generated password once.
    CreateUser {
        #[arg(long)]
        email: String,
        /// admin, supervisor, handler or client
        #[arg(long)]
        role: String,
        /// The client a client user belongs to.
        #[arg(long)]
        client: Option<i64>,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Create a client organisation and print its id.
    CreateClient {
        name: String,
        #[arg(long)]
        contact_email: Option<String>,
        #[arg(long)]
        contact_phone: Option<String>,
    },
    /// Issue an API key for a client; printed once, stored hashed.
    CreateApiKey {
        #[arg(long)]
        client: i64,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Issue a personal API token for a handler (e.g. for a telephony system); printed once.
    CreateToken {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Import referrals from a CSV file (header row with the API's field names). Exits 3 when
    /// some rows were refused (the good ones are kept).
    Import {
        #[arg(long)]
        client: i64,
        file: std::path::PathBuf,
    },
}

pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Err(e) = telemetry::init() {
        eprintln!("error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve))) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Field errors read as sentences at the terminal.
fn describe(err: &anyhow::Error) -> String {
    match err.downcast_ref::<AppError>() {
        Some(AppError::Validation { message, fields }) if !fields.is_empty() => {
            let details: Vec<String> = fields
                .iter()
                .map(|(field, messages)| format!("{field} {}", messages.join(", ")))
                .collect();
            format!("{message} {}", details.join("; "))
        }
        Some(AppError::NotFound) => "not found".into(),
        _ => format!("{err:#}"),
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    if let Command::Serve = command {
        config.check_can_serve()?;
        tracing::info!(config = ?config, "starting");
        let app = startup::Application::build(config).await?;
        app.run_until_stopped().await?;
        return Ok(());
    }
    let pool = startup::prepare_database(&config).await?;
    if let Command::Migrate = command {
        println!("Database is up to date.");
        return Ok(());
    }
    let missing = what_was_not_found(&command);
    let name_it = |error: anyhow::Error| match error.downcast_ref::<AppError>() {
        Some(AppError::NotFound) => anyhow::anyhow!(missing.clone()),
        _ => error,
    };
    if let Command::Import { client, file } = command {
        return import_file(&pool, client, &file).await.map_err(name_it);
    }
    let output = db::run_write(&pool, move |conn| operator_command(conn, command))
        .await
        .map_err(|e| name_it(anyhow::Error::new(e)))?;
    println!("{output}");
    Ok(())
}

/// What an operator's command names that may not exist, for "not found" to say which.
fn what_was_not_found(command: &Command) -> String {
    match command {
        Command::CreateUser {
            client: Some(id), ..
        }
        | Command::CreateApiKey { client: id, .. }
        | Command::Import { client: id, .. } => format!("there is no client {id}"),
        Command::CreateToken { user, .. } => format!("there is no user with the e-mail {user}"),
        _ => "not found".into(),
    }
}

fn operator_command(conn: &mut db::DbConn, command: Command) -> Result<String, AppError> {
    match command {
        Command::CreateUser {
            email,
            role,
            client,
            name,
        } => {
            let new = accounts::NewUser::parse(&email, &name, &role, client)?;
            let email = new.email.to_string();
            let (id, password) = accounts::create_user(conn, Actor::Cli, new)?;
            Ok(format!(
                "Created user {id} ({email}).\nPassword (shown once): {password}"
            ))
        }
        Command::CreateClient {
            name,
            contact_email,
            contact_phone,
        } => {
            let id = accounts::create_client(
                conn,
                Actor::Cli,
                &name,
                contact_email.as_deref(),
                contact_phone.as_deref(),
            )?;
            Ok(id.to_string())
        }
        Command::CreateApiKey { client, label } => {
            let (_, key) = accounts::issue_client_key(conn, Actor::Cli, client, &label)?;
            Ok(format!(
                "API key for client {client} (shown once, stored hashed):\n{key}"
            ))
        }
        Command::CreateToken { user, label } => {
            let user_id = accounts::store::user_id_by_email(conn, &user)?;
            let (_, token) = accounts::issue_personal_token(conn, Actor::Cli, user_id, &label)?;
            Ok(format!(
                "Personal API token for {user} (shown once, stored hashed):\n{token}"
            ))
        }
        Command::Serve | Command::Migrate | Command::Import { .. } => Err(AppError::bad_request(
            "this command does not run in a transaction",
        )),
    }
}

async fn import_file(
    pool: &db::Pool,
    client_id: i64,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {elapsed} ({eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = bar.clone();
    let second_writer = pool.clone();
    let report = db::run(pool, move |conn| {
        // On PostgreSQL a second connection lets the database store two chunks at once; SQLite
        // has one writer at a time, so a second would only wait.
        let mut second = match conn.backend() {
            db::Backend::Postgres if second_writer.max_size() >= 2 => {
                Some(db::pool::checkout(&second_writer)?)
            }
            _ => None,
        };
        let mut writers: Vec<&mut db::DbConn> = vec![conn];
        writers.extend(second.as_deref_mut());
        crate::intake::csv_import::import(
            &mut writers,
            client_id,
            Actor::Cli,
            std::io::BufReader::with_capacity(1 << 20, file),
            chrono::Utc::now(),
            |bytes| progress.set_position(bytes),
        )
    })
    .await
    .map_err(anyhow::Error::new)?;
    bar.finish_and_clear();
    println!(
        "{} rows read: {} new cases, {} already referred, {} refused.",
        report.rows, report.created, report.already_present, report.refused
    );
    for error in &report.errors {
        println!("  line {}: {}", error.line, error.reasons.join("; "));
    }
    if report.refused > report.errors.len() {
        println!(
            "  … and {} more refused rows (the first {} are listed).",
            report.refused - report.errors.len(),
            report.errors.len()
        );
    }
    if report.refused > 0 {
        std::process::exit(3);
    }
    Ok(())
}
