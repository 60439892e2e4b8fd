//! serde adapters for the `String` fields of the metadata types.
//!
//! bincode 2 decodes an owned `String` by allocating its claimed length
//! *before* reading it, so a corrupt length would allocate up to the bincode
//! limit. These adapters ask for a borrowed `&str` instead (bincode checks the
//! bytes are there first) and copy it, after checking `MAX_METADATA_STRING`.
//! The encoding is unchanged: u64 length, UTF-8 bytes.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::limits::MAX_METADATA_STRING;

struct BoundedStr;

impl<'de> Visitor<'de> for BoundedStr {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string of at most {MAX_METADATA_STRING} bytes")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        if v.len() > MAX_METADATA_STRING {
            return Err(E::custom(format_args!(
                "string length {} exceeds limit MAX_METADATA_STRING ({MAX_METADATA_STRING})",
                v.len()
            )));
        }
        Ok(v.to_owned())
    }
}

/// A `String` read through [`BoundedStr`].
struct Owned(String);

impl<'de> serde::Deserialize<'de> for Owned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(BoundedStr).map(Owned)
    }
}

pub mod string {
    use super::*;
    pub fn serialize<S: serde::Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        d.deserialize_str(BoundedStr)
    }
}

pub mod opt_string {
    use super::*;
    use serde::Serialize;
    pub fn serialize<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let v: Option<Owned> = serde::Deserialize::deserialize(d)?;
        Ok(v.map(|o| o.0))
    }
}

pub mod string_list {
    use super::*;
    use serde::Serialize;
    pub fn serialize<S: serde::Serializer>(v: &[String], s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
                // Never trust the claimed length for the allocation: every
                // string takes at least 8 bytes of input, so growing as we
                // go is bounded by the input.
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(Owned(s)) = seq.next_element()? {
                    out.push(s);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(ListVisitor)
    }
}

pub mod string_pairs {
    use super::*;
    use serde::Serialize;
    pub fn serialize<S: serde::Serializer>(v: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Vec<(String, String)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of string pairs")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some((Owned(k), Owned(v))) = seq.next_element()? {
                    out.push((k, v));
                }
                Ok(out)
            }
        }
        d.deserialize_seq(PairsVisitor)
    }
}
