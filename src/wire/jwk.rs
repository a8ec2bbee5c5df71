//! Hydra's JSON Web Key shapes: `jsonWebKey`, `jsonWebKeySet` and `createJsonWebKeySet`
//! (RFC 7517; parameters per RFC 7518 §6).

use poem_openapi::Object;
use serde::{Deserialize, Serialize};

/// A JSON Web Key. The admin API returns private parameters (`d`, `p`, `q`, `dp`, `dq`, `qi`);
/// `/.well-known/jwks.json` never does.
#[derive(Debug, Default, Clone, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "jsonWebKey")]
pub struct JsonWebKey {
    /// The algorithm the key is for (`RS256`, `ES256`, `EdDSA`, …).
    pub alg: String,
    /// The curve of an `EC` or `OKP` key (`P-256`, `Ed25519`).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// Private: the private exponent (RSA), private scalar (EC) or private key (OKP).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// Private (RSA): the first factor CRT exponent.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<String>,
    /// Private (RSA): the second factor CRT exponent.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dq: Option<String>,
    /// RSA: the public exponent.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Symmetric key value (`oct`); not supported here.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
    /// The key id, unique within its set.
    pub kid: String,
    /// The key type: `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// RSA: the modulus.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// Private (RSA): the first prime factor.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<String>,
    /// Private (RSA): the second prime factor.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Private (RSA): the first CRT coefficient.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qi: Option<String>,
    /// What the key is for: `sig` (signatures) or `enc` (encryption).
    #[oai(rename = "use")]
    #[serde(rename = "use")]
    pub use_: String,
    /// EC: the x coordinate; OKP: the public key.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// X.509 certificate chain, base64 DER, first certificate holding this key.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5c: Option<Vec<String>>,
    /// EC: the y coordinate.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// A set of JSON Web Keys (RFC 7517 §5).
#[derive(Debug, Default, Clone, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "jsonWebKeySet")]
pub struct JsonWebKeySet {
    /// The keys, newest first.
    pub keys: Vec<JsonWebKey>,
}

/// What to generate in `createJsonWebKeySet`.
#[derive(Debug, Clone, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "createJsonWebKeySet")]
pub struct CreateJsonWebKeySet {
    /// `RS256` (RSA-2048), `ES256` (P-256) or `EdDSA` (Ed25519).
    pub alg: String,
    /// The id of the new key; a random UUID when empty.
    #[serde(default)]
    #[oai(default)]
    pub kid: String,
    /// `sig` (the default) or `enc`.
    #[oai(rename = "use", default = "default_use")]
    #[serde(rename = "use", default = "default_use")]
    pub use_: String,
}

fn default_use() -> String {
    "sig".into()
}
