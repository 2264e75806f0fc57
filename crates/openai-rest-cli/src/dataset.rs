//! Training files read into a table of strings, whatever their format:
//! JSON Lines (what fine-tuning takes), a JSON array, CSV, TSV, or plain
//! text (one completion per line). `prepare_data` checks the table.

use std::path::Path;

use serde_json::Value;

/// The examples as read: column names (a CSV's in its header's order, JSON
/// keys in name order), and each row's value per column ("" where a row has
/// none).
#[derive(Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// What was read, and when the file is not JSON Lines, a note saying what
/// it was taken for (the prepared file is JSON Lines either way).
#[derive(Debug)]
pub struct Read {
    pub table: Table,
    pub conversion: Option<String>,
}

/// Reads `path` by its extension.
///
/// # Errors
///
/// A sentence for the user: the file is missing, has an extension this
/// does not read, or is not valid in its format.
pub fn read(path: &Path) -> Result<Read, String> {
    let shown = path.display();
    if !path.is_file() {
        return Err(format!("{shown} does not exist or is not a file"));
    }
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let invalid = |why: String| format!("{shown} is not valid {}: {why}", extension.to_uppercase());
    let text = || std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"));
    match extension.as_str() {
        "jsonl" => {
            let text = text()?;
            match json_lines(&text) {
                Ok(table) => Ok(Read {
                    table,
                    conversion: None,
                }),
                // A JSON document saved as .jsonl: read it as one.
                Err(lines_error) => match json_array(&text) {
                    Ok(table) => Ok(Read {
                        table,
                        conversion: Some("is a JSON array, not JSON Lines".to_owned()),
                    }),
                    Err(_) => Err(invalid(lines_error)),
                },
            }
        }
        "json" => {
            let text = text()?;
            match json_array(&text) {
                Ok(table) => Ok(Read {
                    table,
                    conversion: Some("is JSON".to_owned()),
                }),
                Err(array_error) => match json_lines(&text) {
                    Ok(table) => Ok(Read {
                        table,
                        conversion: Some("is JSON Lines, though named .json".to_owned()),
                    }),
                    Err(_) => Err(invalid(array_error)),
                },
            }
        }
        "csv" | "tsv" => {
            let delimiter = if extension == "csv" { b',' } else { b'\t' };
            let table = delimited(path, delimiter).map_err(invalid)?;
            Ok(Read {
                table,
                conversion: Some(format!(
                    "is {} (by its extension)",
                    extension.to_uppercase()
                )),
            })
        }
        "txt" => {
            let text = text()?;
            let rows = text
                .split('\n')
                .map(|line| vec![String::new(), line.trim_end_matches('\r').to_owned()])
                .collect();
            Ok(Read {
                table: Table {
                    columns: vec!["prompt".to_owned(), "completion".to_owned()],
                    rows,
                },
                conversion: Some(
                    "is plain text: each line is taken as a completion with an empty prompt"
                        .to_owned(),
                ),
            })
        }
        "xlsx" => Err(format!(
            "{shown} is an Excel workbook, which this does not read: save its sheet as CSV"
        )),
        "" => Err(format!(
            "{shown} has no extension: name it .jsonl, .json, .csv, .tsv or .txt by its format"
        )),
        other => Err(format!(
            "{shown} ends with .{other}: the formats read are .jsonl, .json, .csv, .tsv and .txt"
        )),
    }
}

/// One JSON object per non-blank line.
fn json_lines(text: &str) -> Result<Table, String> {
    let mut objects = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(object)) => objects.push(object),
            Ok(_) => return Err(format!("line {} is not a JSON object", number + 1)),
            Err(e) => return Err(format!("line {}: {e}", number + 1)),
        }
    }
    Ok(objects_table(objects))
}

/// One JSON array of objects.
fn json_array(text: &str) -> Result<Table, String> {
    match serde_json::from_str::<Value>(text).map_err(|e| e.to_string())? {
        Value::Array(items) => {
            let objects = items
                .into_iter()
                .map(|item| match item {
                    Value::Object(object) => Ok(object),
                    _ => Err("an item of the array is not an object".to_owned()),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(objects_table(objects))
        }
        _ => Err("not an array of objects".to_owned()),
    }
}

fn objects_table(objects: Vec<serde_json::Map<String, Value>>) -> Table {
    let mut columns: Vec<String> = Vec::new();
    for object in &objects {
        for key in object.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    let rows = objects
        .iter()
        .map(|object| {
            columns
                .iter()
                .map(|column| match object.get(column) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                })
                .collect()
        })
        .collect();
    Table { columns, rows }
}

/// A header line, then a row per record.
fn delimited(path: &Path, delimiter: u8) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_path(path)
        .map_err(|e| e.to_string())?;
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        rows.push(
            (0..columns.len())
                .map(|i| record.get(i).unwrap_or_default().to_owned())
                .collect(),
        );
    }
    Ok(Table { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(name: &str, text: &str) -> Result<Read, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        read(&path)
    }

    /// The table with its columns in name order, to compare formats by.
    fn sorted(read: Result<Read, String>) -> Table {
        let table = read.unwrap().table;
        let mut order: Vec<usize> = (0..table.columns.len()).collect();
        order.sort_by_key(|&i| table.columns[i].clone());
        Table {
            columns: order.iter().map(|&i| table.columns[i].clone()).collect(),
            rows: table
                .rows
                .iter()
                .map(|row| order.iter().map(|&i| row[i].clone()).collect())
                .collect(),
        }
    }

    #[test]
    fn every_format_gives_the_same_table() {
        let expected = Table {
            columns: vec!["completion".into(), "prompt".into()],
            rows: vec![
                vec![" c".into(), "a, b".into()],
                vec!["".into(), "d".into()],
            ],
        };
        let jsonl = "{\"prompt\": \"a, b\", \"completion\": \" c\"}\n\n{\"prompt\": \"d\"}\n";
        assert_eq!(sorted(read_text("x.jsonl", jsonl)), expected);
        let json = "[{\"prompt\": \"a, b\", \"completion\": \" c\"}, {\"prompt\": \"d\", \"completion\": null}]";
        assert_eq!(sorted(read_text("x.json", json)), expected);
        assert_eq!(sorted(read_text("x.jsonl", json)), expected);
        let csv = "prompt,completion\n\"a, b\", c\nd\n";
        assert_eq!(sorted(read_text("x.csv", csv)), expected);
        let tsv = "prompt\tcompletion\na, b\t c\nd\t\n";
        assert_eq!(sorted(read_text("x.tsv", tsv)), expected);
    }

    #[test]
    fn bad_files_are_named_not_panicked_on() {
        let error = read_text("x.jsonl", "{\"prompt\": 1}\nnot json\n").unwrap_err();
        assert!(error.contains("line 2"), "{error}");
        assert!(read_text("x.xlsx", "").unwrap_err().contains("CSV"));
        assert!(read_text("x.parquet", "").unwrap_err().contains(".parquet"));
        assert!(
            read(Path::new("/nonexistent/x.jsonl"))
                .unwrap_err()
                .contains("does not exist")
        );
    }
}
