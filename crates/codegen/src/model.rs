//! The SageMaker API model (botocore's `service-2.json`): shapes and operations, read as JSON.

use std::io::Read as _;
use std::path::Path;

use serde_json::Value;

use crate::error::GenError;

pub struct Model {
    json: Value,
}

/// A shape's constraints as the model states them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    pub enum_values: Option<Vec<String>>,
}

impl Model {
    pub fn load(path: &Path) -> Result<Self, GenError> {
        let file = std::fs::File::open(path).map_err(|source| GenError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut text = String::new();
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut text)
            .map_err(|source| GenError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        let json = serde_json::from_str(&text).map_err(|error| GenError::Model {
            what: path.display().to_string(),
            message: error.to_string(),
        })?;
        Ok(Self { json })
    }

    pub fn shape(&self, name: &str) -> Result<&Value, GenError> {
        self.json["shapes"]
            .get(name)
            .ok_or_else(|| GenError::Model {
                what: name.into(),
                message: "no such shape".into(),
            })
    }

    /// The input (`"input"`) or output (`"output"`) structure of an operation.
    pub fn operation_shape(&self, operation: &str, side: &str) -> Result<String, GenError> {
        self.json["operations"][operation][side]["shape"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| GenError::Model {
                what: operation.into(),
                message: format!("no such operation or no {side}"),
            })
    }

    /// Whether a structure is a union (exactly one member set; the SDK's enum).
    pub fn is_union(&self, name: &str) -> Result<bool, GenError> {
        Ok(self.shape(name)?["union"].as_bool().unwrap_or(false))
    }

    /// The enum shape of a map's keys, if they have one.
    pub fn key_enum(&self, map: &str) -> Result<Option<String>, GenError> {
        let key = self.shape(map)?["key"]["shape"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok(self.constraints(&key)?.enum_values.map(|_| key))
    }

    pub fn type_of(&self, name: &str) -> Result<String, GenError> {
        Ok(self.shape(name)?["type"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// A structure's members in name order (so the output does not depend on the model's order): (member name, shape name, documentation).
    pub fn members(&self, structure: &str) -> Result<Vec<(String, String, String)>, GenError> {
        let shape = self.shape(structure)?;
        let members = shape["members"]
            .as_object()
            .ok_or_else(|| GenError::Model {
                what: structure.into(),
                message: "not a structure".into(),
            })?;
        Ok(members
            .iter()
            .map(|(name, member)| {
                (
                    name.clone(),
                    member["shape"].as_str().unwrap_or_default().to_string(),
                    member["documentation"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect())
    }

    pub fn required(&self, structure: &str) -> Result<Vec<String>, GenError> {
        Ok(self.shape(structure)?["required"]
            .as_array()
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    pub fn documentation(&self, name: &str) -> Result<String, GenError> {
        Ok(self.shape(name)?["documentation"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// The element shape of a list, the value shape of a map.
    pub fn element(&self, name: &str) -> Result<String, GenError> {
        let shape = self.shape(name)?;
        shape["member"]["shape"]
            .as_str()
            .or_else(|| shape["value"]["shape"].as_str())
            .map(str::to_string)
            .ok_or_else(|| GenError::Model {
                what: name.into(),
                message: "not a list or map".into(),
            })
    }

    pub fn constraints(&self, name: &str) -> Result<Constraints, GenError> {
        let shape = self.shape(name)?;
        Ok(Constraints {
            min: shape["min"].as_f64(),
            max: shape["max"].as_f64(),
            pattern: shape["pattern"].as_str().map(str::to_string),
            enum_values: shape["enum"].as_array().map(|values| {
                values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            }),
        })
    }
}
