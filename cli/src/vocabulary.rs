//! The command line's names for the fields of a job: the one table that turns the backquoted
//! field names of the library's messages (`` `restarts` ``) into flags (`--restarts`).

/// The flag that sets a job field, by the field's name.
pub fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        // Run options, every command.
        "out" => "--out",
        "resume" => "--resume",
        "overwrite" => "--overwrite",
        "checkpoint_every" => "--checkpoint-every",
        "backend" => "--backend",
        "data_dir" => "--data-dir",
        _ => return None,
    })
}

/// `message` with every backquoted job field that has a flag written as that flag.
pub fn render(message: &str) -> String {
    nmfnet_app::job::render_fields(message, |f| flag_of(f).map(str::to_string))
}
