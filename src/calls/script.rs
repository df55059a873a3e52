//! Call scripts: tera templates over case variables. Every script begins with the no-payment
//! statement the handler reads out first; a script without it cannot be saved.

use serde::Serialize;

use crate::error::{AppError, AppResult};

const BLOCK_OPEN: &str = "{% block no_payment %}";
const BLOCK_CLOSE: &str = "{% endblock no_payment %}";

/// What a no-payment statement must say, at the least.
const REQUIRED_PHRASE: &str = "take a payment";

pub const DEFAULT_SCRIPT: &str = "{% block no_payment %}I'm not calling to take a payment, and I can't take one on this call. Nothing you tell me today will be used to take money from you.{% endblock no_payment %}
## Opening and identity check
Hello, may I speak to {{ customer_first_name }}? My name is {{ handler_name }} and I'm calling on behalf of {{ client_name }}.
Before we go on, could you confirm your date of birth and the first line of your address?
(If it is not the customer: do not mention the debt. Ask when would be a good time to call back.)

## Why we are calling
{{ client_name }} asked us to get in touch because your account is behind by {{ amount_owed }}. We're not here to chase you — we want to understand how things are and whether we can help.

## Listening
How are things at the moment? Has anything changed for you recently — work, health, family?
(Listen. Don't rush. If the customer mentions health, bereavement, or feeling unable to cope, use the vulnerability form — with their consent. If there is any risk to life, use the risk-to-life button now.)

## What could you afford?
How much do you think you could afford, and how often — weekly, fortnightly or monthly?
(Record the amount the customer chooses. Do not suggest a figure. If it seems more than they can manage, you may go through income and spending with them, but their choice stands.)

## Free, independent support
There are free organisations who can help with money and with how you're feeling:
{% for org in support_organisations %}- {{ org.name }}{% if org.phone %}: {{ org.phone }}{% endif %}{% if org.website %} ({{ org.website }}){% endif %}
{% endfor %}
## Next steps
I'll send you an e-mail with what we agreed and links to these organisations. You can confirm the plan from that e-mail, or ask for a change. We will never ask for card or bank details.

## Close
Thank you for talking with me today, {{ customer_first_name }}. Is there anything else I can help with?
";

#[derive(Debug, Clone, Serialize)]
pub struct SupportOrganisation {
    /// The directory entry (0 for the preview's sample organisations).
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub website: Option<String>,
}

/// The variables a script may use.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptContext {
    pub customer_first_name: String,
    pub client_name: String,
    pub amount_owed: String,
    pub handler_name: String,
    pub support_organisations: Vec<SupportOrganisation>,
}

impl ScriptContext {
    /// The sample case supervisors preview scripts against.
    pub fn sample() -> Self {
        ScriptContext {
            customer_first_name: "Sam".into(),
            client_name: "Northshire Water".into(),
            amount_owed: "£1,234.56".into(),
            handler_name: "Alex".into(),
            support_organisations: crate::calls::sample_support(),
        }
    }
}

/// A script as a handler sees it: the statement first, then the rest.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RenderedScript {
    pub version_id: i64,
    pub no_payment_statement: String,
    pub body: String,
}

/// Splits a script into its no-payment statement and the rest, refusing scripts without the
/// statement first.
fn split(source: &str) -> Result<(&str, &str), String> {
    let missing = || {
        format!(
            "The script must begin with the no-payment statement the handler reads out, for example: \
             {BLOCK_OPEN}I'm not calling to take a payment, and I can't take one on this call.{BLOCK_CLOSE}"
        )
    };
    let rest = source
        .trim_start()
        .strip_prefix(BLOCK_OPEN)
        .ok_or_else(missing)?;
    let (statement, body) = rest.split_once(BLOCK_CLOSE).ok_or_else(missing)?;
    if !statement.to_lowercase().contains(REQUIRED_PHRASE) {
        return Err(format!(
            "The no-payment statement must say plainly that we will not {REQUIRED_PHRASE} (e.g. \"I'm not calling to take a payment\")."
        ));
    }
    Ok((statement, body))
}

fn error_chain(e: tera::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}

/// tera's global functions, which a fresh `Tera` offers every template. Scripts are written by
/// supervisors and shown to every handler: `get_env` would print the service's secrets (session
/// key, database password) into them, and `range` can loop for ever. Scripts need none of them.
const GLOBAL_FUNCTIONS: [&str; 5] = ["get_env", "range", "now", "get_random", "throw"];

fn withdraw_global_functions(templates: &mut tera::Tera) {
    for name in GLOBAL_FUNCTIONS {
        templates.register_function(
            name,
            move |_: &std::collections::HashMap<String, tera::Value>| -> tera::Result<tera::Value> {
                Err(format!("{name}() is not available in call scripts").into())
            },
        );
    }
}

/// A script version parsed once, rendered for many cases.
pub struct CompiledScript {
    version_id: i64,
    // Scripts are plain text shown escaped on the page; template names without an `.html`
    // suffix keep tera from HTML-escaping them here.
    templates: tera::Tera,
}

impl CompiledScript {
    pub fn new(version_id: i64, source: &str) -> AppResult<Self> {
        let (statement, body) = split(source).map_err(|m| AppError::field("body", m))?;
        let mut templates = tera::Tera::default();
        withdraw_global_functions(&mut templates);
        templates
            .add_raw_template("no_payment_statement", statement)
            .map_err(|e| {
                AppError::field(
                    "body",
                    format!(
                        "The no-payment statement has a template error: {}",
                        error_chain(e)
                    ),
                )
            })?;
        templates.add_raw_template("body", body).map_err(|e| {
            AppError::field(
                "body",
                format!("The script has a template error: {}", error_chain(e)),
            )
        })?;
        for part in ["no_payment_statement", "body"] {
            let nodes = templates
                .get_template(part)
                .map(|template| template.ast.as_slice())
                .unwrap_or_default();
            if let Some(reason) = super::script_shape::refusal(nodes) {
                return Err(AppError::field("body", reason));
            }
        }
        Ok(CompiledScript {
            version_id,
            templates,
        })
    }

    pub fn render(&self, context: &ScriptContext) -> AppResult<RenderedScript> {
        let context = tera::Context::from_serialize(context)
            .map_err(|e| AppError::field("body", error_chain(e)))?;
        let part = |name: &str, what: &str| {
            self.templates
                .render(name, &context)
                .map(|text| text.trim().to_string())
                .map_err(|e| {
                    AppError::field(
                        "body",
                        format!("{what} has a template error: {}", error_chain(e)),
                    )
                })
        };
        Ok(RenderedScript {
            version_id: self.version_id,
            no_payment_statement: part("no_payment_statement", "The no-payment statement")?,
            body: part("body", "The script")?,
        })
    }
}

/// Checks a script can be saved: the statement first, and a template that renders for the
/// sample case and for sparser real ones. A case may match no organisation, or only ones
/// without a phone number or website: a script that failed for those (`support_organisations.3`,
/// a filter over a missing phone) would leave the handler who claimed such a case with no script.
pub fn validate(source: &str) -> AppResult<()> {
    crate::payment_guard::refuse_in("body", source)?;
    let script = CompiledScript::new(0, source)?;
    script.render(&ScriptContext::sample())?;
    let bare = SupportOrganisation {
        id: 0,
        name: "Citizens Advice".into(),
        phone: None,
        website: None,
    };
    for (organisations, case) in [
        (vec![], "no support organisations"),
        (
            vec![bare],
            "a support organisation with no phone number or website",
        ),
    ] {
        let sparse = ScriptContext {
            support_organisations: organisations,
            ..ScriptContext::sample()
        };
        script.render(&sparse).map_err(|error| match error {
            AppError::Validation {
                message,
                mut fields,
            } => {
                for messages in fields.values_mut() {
                    for text in messages.iter_mut() {
                        text.push_str(&format!(" (for a customer with {case})"));
                    }
                }
                AppError::Validation { message, fields }
            }
            other => other,
        })?;
    }
    Ok(())
}

pub fn render(version_id: i64, source: &str, context: &ScriptContext) -> AppResult<RenderedScript> {
    CompiledScript::new(version_id, source)?.render(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_script_renders_with_the_statement_first() {
        let rendered = render(1, DEFAULT_SCRIPT, &ScriptContext::sample()).unwrap();
        assert!(rendered
            .no_payment_statement
            .starts_with("I'm not calling to take a payment"));
        assert!(rendered.body.contains("Hello, may I speak to Sam?"));
        assert!(rendered.body.contains("£1,234.56"));
        assert!(rendered
            .body
            .contains("How much do you think you could afford, and how often"));
        assert!(rendered.body.contains("StepChange"));
    }

    #[test]
    fn scripts_cannot_read_the_services_environment() {
        std::env::set_var("OUTREACH_SCRIPT_TEST_SECRET", "hunter2-secret");
        let source = format!(
            "{BLOCK_OPEN}I'm not calling to take a payment.{BLOCK_CLOSE}\n\
             {{{{ get_env(name=\"OUTREACH_SCRIPT_TEST_SECRET\") }}}}"
        );
        let err = render(1, &source, &ScriptContext::sample()).unwrap_err();
        let AppError::Validation { fields, .. } = err else {
            panic!("expected a field error, got {err:?}");
        };
        assert!(
            fields["body"][0].contains("get_env() is not available"),
            "{fields:?}"
        );
        assert!(!fields["body"][0].contains("hunter2"));
        for looping in [
            "{% for i in range(end=1000000000) %}x{% endfor %}",
            "{{ now() }}",
        ] {
            let source =
                format!("{BLOCK_OPEN}I'm not calling to take a payment.{BLOCK_CLOSE}\n{looping}");
            assert!(
                render(1, &source, &ScriptContext::sample()).is_err(),
                "{looping}"
            );
        }
    }

    #[test]
    fn scripts_that_could_run_without_end_are_refused_before_rendering() {
        let statement = format!("{BLOCK_OPEN}I'm not calling to take a payment.{BLOCK_CLOSE}");
        let in_statement = format!(
            "{BLOCK_OPEN}{{% macro f() %}}{{{{ self::f() }}}}{{% endmacro f %}}I'm not calling to take a payment.{BLOCK_CLOSE} x"
        );
        for (source, reason) in [
            (
                format!("{statement} {{% macro f() %}}{{{{ self::f() }}}}{{% endmacro f %}}{{{{ self::f() }}}}"),
                "cannot define macros",
            ),
            (in_statement, "cannot define macros"),
            (
                format!("{statement} {{% if customer_first_name %}}{{% include \"body\" %}}{{% endif %}}"),
                "cannot include",
            ),
            (
                format!("{statement} {{% for a in support_organisations %}}{{% for b in support_organisations %}}{{% for c in support_organisations %}}x{{% endfor %}}{{% endfor %}}{{% endfor %}}"),
                "at most 2 deep",
            ),
        ] {
            let err = validate(&source).unwrap_err();
            assert!(
                matches!(err, AppError::Validation { ref fields, .. } if fields["body"][0].contains(reason)),
                "{source}: {err:?}"
            );
        }
        let two_deep = format!("{statement} {{% for a in support_organisations %}}{{% for b in support_organisations %}}{{{{ a.name }}}}/{{{{ b.name }}}}{{% endfor %}}{{% endfor %}}");
        assert!(validate(&two_deep).is_ok());
    }

    #[test]
    fn scripts_without_the_statement_first_are_refused() {
        let err = validate("Hello {{ customer_first_name }}").unwrap_err();
        assert!(
            matches!(err, AppError::Validation { ref fields, .. } if fields["body"][0].contains("must begin with the no-payment statement"))
        );
        let buried = format!("Hello\n{BLOCK_OPEN}I'm not calling to take a payment.{BLOCK_CLOSE}");
        assert!(validate(&buried).is_err(), "the statement must come first");
        let vague = format!("{BLOCK_OPEN}Hi there.{BLOCK_CLOSE} rest");
        assert!(
            validate(&vague).is_err(),
            "the statement must actually say it"
        );
    }

    #[test]
    fn a_script_that_fails_for_a_sparser_case_is_refused_when_saved() {
        let statement = format!("{BLOCK_OPEN}I'm not calling to take a payment.{BLOCK_CLOSE}");
        for (body, case) in [
            (
                "Try {{ support_organisations.3.name }}.",
                "no support organisations",
            ),
            (
                "{% for o in support_organisations %}{{ o.website | upper }}{% endfor %}",
                "no phone number or website",
            ),
        ] {
            let err = validate(&format!("{statement} {body}")).unwrap_err();
            assert!(
                matches!(err, AppError::Validation { ref fields, .. } if fields["body"][0].contains(case)),
                "{err:?}"
            );
        }
        let guarded = "{% for o in support_organisations %}{{ o.name }}{% if o.website %} ({{ o.website | upper }}){% endif %}{% endfor %}";
        assert!(validate(&format!("{statement} {guarded}")).is_ok());
    }

    #[test]
    fn template_errors_are_reported_not_panicked() {
        let broken =
            format!("{BLOCK_OPEN}I'm not calling to take a payment.{BLOCK_CLOSE} {{{{ nope( }}}}");
        let err = validate(&broken).unwrap_err();
        assert!(
            matches!(err, AppError::Validation { ref fields, .. } if fields["body"][0].contains("template error"))
        );
    }
}
