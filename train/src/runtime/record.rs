//! The recorder the tasks use for their state: Burn's bincode format, byte for byte, read back
//! with a bound on what decoding may allocate.
//!
//! Burn's own `BinBytesRecorder` unwraps bincode's result (a panic on short input) and decodes
//! without a limit, so a length field claiming 2^60 bytes inside a record whose checksum was
//! forged to match makes the process abort in the allocator — no `catch_unwind` can contain
//! that. Here decoding runs under bincode's claim limit: every value decoded, and every buffer
//! before it is allocated, is claimed against a budget of at most 128 times the record's own
//! size (plus 1 MiB), and a record that claims more is an error. A valid record never claims
//! more than 8 times its length (see `decode_bounded`). Sequences pre-allocate at most 1 MiB
//! through serde whatever their length field says.

use burn::record::{PrecisionSettings, Recorder, RecorderError};
use burn::tensor::backend::Backend;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::Serialize;
use std::cell::Cell;
use std::marker::PhantomData;
use std::rc::Rc;

/// Burn's in-memory bincode recorder, with a decoding budget (see the module docs).
#[derive(Debug, Clone)]
pub struct BoundedBinBytes<S: PrecisionSettings>(PhantomData<S>);

impl<S: PrecisionSettings> Default for BoundedBinBytes<S> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

/// Decodes `bytes` with a claim limit of `LIMIT` bytes.
fn decode_limited<I: DeserializeOwned, const LIMIT: usize>(
    bytes: &[u8],
) -> Result<I, RecorderError> {
    let config = bincode::config::standard().with_limit::<LIMIT>();
    let seed = GuardSeed {
        seed: PhantomData::<I>,
        mode: Mode::Plain,
    };
    let (item, _) = bincode::serde::seed_decode_from_slice(seed, bytes, config)
        .map_err(|e| RecorderError::DeserializeError(e.to_string()))?;
    Ok(item)
}

/// The smallest of a few fixed budgets that covers a record of `len` bytes (budgets are type
/// parameters of bincode's configuration, so they come from a short list, 16× apart).
///
/// bincode claims the in-memory size of every value it decodes, never less than one byte of
/// input per 8 bytes claimed (a one-byte varint decoded into a `u64` is the worst case; records
/// hold no 128-bit integers), so `8·len` plus a little covers any valid record of `len` bytes.
fn decode_bounded<I: DeserializeOwned>(bytes: &[u8]) -> Result<I, RecorderError> {
    let needed = bytes.len().saturating_mul(8).saturating_add(4096);
    match needed {
        0..=0x10_0000 => decode_limited::<I, 0x10_0000>(bytes),
        0x10_0001..=0x100_0000 => decode_limited::<I, 0x100_0000>(bytes),
        0x100_0001..=0x1000_0000 => decode_limited::<I, 0x1000_0000>(bytes),
        0x1000_0001..=0x1_0000_0000 => decode_limited::<I, 0x1_0000_0000>(bytes),
        0x1_0000_0001..=0x10_0000_0000 => decode_limited::<I, 0x10_0000_0000>(bytes),
        0x10_0000_0001..=0x100_0000_0000 => decode_limited::<I, 0x100_0000_0000>(bytes),
        _ => Err(RecorderError::DeserializeError(format!(
            "a record of {} bytes is larger than this reader accepts (128 GiB)",
            bytes.len()
        ))),
    }
}

impl<S: PrecisionSettings, B: Backend> Recorder<B> for BoundedBinBytes<S> {
    type Settings = S;
    type RecordArgs = ();
    type RecordOutput = Vec<u8>;
    type LoadArgs = Vec<u8>;

    fn save_item<I: Serialize>(&self, item: I, _args: ()) -> Result<Vec<u8>, RecorderError> {
        bincode::serde::encode_to_vec(item, bincode::config::standard())
            .map_err(|e| RecorderError::Unknown(e.to_string()))
    }

    fn load_item<I: DeserializeOwned>(&self, args: &mut Vec<u8>) -> Result<I, RecorderError> {
        decode_bounded(args)
    }
}

/// Longest sequence or map a record may announce before its elements are read: serde's
/// containers pre-allocate what the length field says (`SmallVec`, Burn's shape type, does so
/// without serde's own 1 MiB cap), so the hint handed to them is capped; they grow past it as
/// elements actually arrive.
const MAX_SIZE_HINT: usize = 4096;

/// Where in a record a value sits, as far as the checks below care.
#[derive(Clone, Default)]
enum Mode {
    #[default]
    Plain,
    /// A `TensorData` struct: its element 0 is the bytes, element 1 the shape.
    Tensor(Slot, Slot),
    /// A tensor's byte buffer: its length goes into the slot.
    Bytes(Slot),
    /// A tensor's shape: the product of its dimensions goes into the slot.
    Shape(Slot),
    /// One dimension of a shape: multiplied into the slot.
    Dim(Slot),
}

type Slot = Rc<Cell<Option<u128>>>;

/// A deserializer passed through unchanged but for two checks: sequence and map length hints
/// are capped at [`MAX_SIZE_HINT`], and a `TensorData` whose shape holds more elements than
/// twice its bytes (the densest element Burn stores is a 4-bit quantised one) is an error —
/// before Burn converts it to the record's float type, which allocates one element per entry
/// of the shape.
struct Guard<D> {
    de: D,
    mode: Mode,
}

struct Watch<V> {
    v: V,
    mode: Mode,
}

struct GuardSeed<S> {
    seed: S,
    mode: Mode,
}

struct GuardSeq<A> {
    seq: A,
    mode: Mode,
    index: usize,
}

struct GuardMap<A>(A);
struct GuardEnum<A>(A);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for GuardSeed<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Guard {
            de,
            mode: self.mode,
        })
    }
}

macro_rules! forward_deserialize {
    ($($name:ident),*) => {$(
        fn $name<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.de.$name(Watch { v: visitor, mode: self.mode })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Guard<D> {
    type Error = D::Error;

    forward_deserialize!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_unit_struct(
            name,
            Watch {
                v: visitor,
                mode: self.mode,
            },
        )
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_newtype_struct(
            name,
            Watch {
                v: visitor,
                mode: self.mode,
            },
        )
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_tuple(
            len,
            Watch {
                v: visitor,
                mode: self.mode,
            },
        )
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_tuple_struct(
            name,
            len,
            Watch {
                v: visitor,
                mode: self.mode,
            },
        )
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        if name != "TensorData"
            || fields.first() != Some(&"bytes")
            || fields.get(1) != Some(&"shape")
        {
            return self.de.deserialize_struct(
                name,
                fields,
                Watch {
                    v: visitor,
                    mode: self.mode,
                },
            );
        }
        let (bytes, numel) = (Slot::default(), Slot::default());
        let mode = Mode::Tensor(bytes.clone(), numel.clone());
        let value = self
            .de
            .deserialize_struct(name, fields, Watch { v: visitor, mode })?;
        if let (Some(b), Some(n)) = (bytes.get(), numel.get()) {
            if n > 2 * b {
                return Err(de::Error::custom(format!(
                    "a tensor whose shape holds {n} elements comes with only {b} bytes"
                )));
            }
        }
        Ok(value)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_enum(
            name,
            variants,
            Watch {
                v: visitor,
                mode: Mode::Plain,
            },
        )
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($name:ident: $t:ty),*) => {$(
        fn $name<E: de::Error>(self, v: $t) -> Result<Self::Value, E> {
            self.v.$name(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Watch<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.v.expecting(f)
    }

    forward_visit!(
        visit_bool: bool, visit_i8: i8, visit_i16: i16, visit_i32: i32, visit_i64: i64,
        visit_i128: i128, visit_u8: u8, visit_u16: u16, visit_u32: u32, visit_u128: u128,
        visit_f32: f32, visit_f64: f64, visit_char: char, visit_str: &str,
        visit_borrowed_str: &'de str, visit_string: String
    );

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        if let Mode::Dim(slot) = &self.mode {
            slot.set(slot.get().map(|n| n.saturating_mul(u128::from(v))));
        }
        self.v.visit_u64(v)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        self.note_bytes(v.len());
        self.v.visit_bytes(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        self.note_bytes(v.len());
        self.v.visit_borrowed_bytes(v)
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        self.note_bytes(v.len());
        self.v.visit_byte_buf(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.v.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.v.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.v.visit_some(Guard {
            de,
            mode: Mode::Plain,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.v.visit_newtype_struct(Guard {
            de,
            mode: self.mode,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        if let Mode::Shape(slot) = &self.mode {
            slot.set(Some(1));
        }
        self.v.visit_seq(GuardSeq {
            seq,
            mode: self.mode,
            index: 0,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.v.visit_map(GuardMap(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.v.visit_enum(GuardEnum(data))
    }
}

impl<V> Watch<V> {
    fn note_bytes(&self, len: usize) {
        if let Mode::Bytes(slot) = &self.mode {
            slot.set(Some(len as u128));
        }
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for GuardSeq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let mode = match &self.mode {
            Mode::Tensor(bytes, _) if self.index == 0 => Mode::Bytes(bytes.clone()),
            Mode::Tensor(_, numel) if self.index == 1 => Mode::Shape(numel.clone()),
            Mode::Shape(numel) => Mode::Dim(numel.clone()),
            _ => Mode::Plain,
        };
        self.index += 1;
        self.seq.next_element_seed(GuardSeed { seed, mode })
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint().map(|n| n.min(MAX_SIZE_HINT))
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for GuardMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(GuardSeed {
            seed,
            mode: Mode::Plain,
        })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(GuardSeed {
            seed,
            mode: Mode::Plain,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint().map(|n| n.min(MAX_SIZE_HINT))
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for GuardEnum<A> {
    type Error = A::Error;
    type Variant = GuardEnum<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(GuardSeed {
            seed,
            mode: Mode::Plain,
        })?;
        Ok((value, GuardEnum(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for GuardEnum<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(GuardSeed {
            seed,
            mode: Mode::Plain,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(
            len,
            Watch {
                v: visitor,
                mode: Mode::Plain,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(
            fields,
            Watch {
                v: visitor,
                mode: Mode::Plain,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Item {
        name: String,
        #[serde(with = "serde_bytes_like")]
        data: Vec<u8>,
        shape: Vec<usize>,
    }

    /// Byte buffers the way tensor bytes are written (serde's bytes, not a sequence).
    mod serde_bytes_like {
        pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
        pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Vec<u8>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                    Ok(v)
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                    Ok(v.to_vec())
                }
            }
            d.deserialize_byte_buf(V)
        }
    }

    fn encode(item: &Item) -> Vec<u8> {
        bincode::serde::encode_to_vec(item, bincode::config::standard()).unwrap()
    }

    #[test]
    fn valid_records_decode_at_every_budget_boundary() {
        for n in [0usize, 10, 0x1_FFF0, 0x2_0000, 0x20_0000] {
            let item = Item {
                name: "w".into(),
                data: vec![7; n],
                shape: vec![n, 1],
            };
            let bytes = encode(&item);
            let back: Item = decode_bounded(&bytes).unwrap();
            assert_eq!(back, item, "record of {} bytes", bytes.len());
        }
    }

    #[test]
    fn forged_lengths_are_errors_not_allocations() {
        let item = Item {
            name: "w".into(),
            data: vec![1, 2, 3],
            shape: vec![3],
        };
        let bytes = encode(&item);
        // standard() writes lengths as varints: 0xFD + u64 little-endian is a 9-byte length.
        // Replace the string's one-byte length (at 0) with a claim of 2^60 bytes.
        let mut forged = vec![0xFD];
        forged.extend_from_slice(&(1u64 << 60).to_le_bytes());
        forged.extend_from_slice(&bytes[1..]);
        let err = decode_bounded::<Item>(&forged).unwrap_err();
        assert!(format!("{err:?}").contains("Limit"), "{err:?}");
        // The byte buffer's length (after the 1-byte name length and 1-byte name).
        let mut forged = bytes[..2].to_vec();
        forged.push(0xFD);
        forged.extend_from_slice(&(1u64 << 40).to_le_bytes());
        forged.extend_from_slice(&bytes[3..]);
        assert!(decode_bounded::<Item>(&forged).is_err());
        // Short input is an error, never a panic.
        for cut in 0..bytes.len() {
            assert!(
                decode_bounded::<Item>(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    /// The serde layout of Burn's `TensorData`, with fields a forger controls.
    #[derive(serde::Serialize)]
    #[serde(rename = "TensorData")]
    struct ForgedTensor {
        #[serde(with = "serde_bytes_like")]
        bytes: Vec<u8>,
        shape: Vec<usize>,
        dtype: burn::tensor::DType,
    }

    fn tensor(bytes: Vec<u8>, shape: Vec<usize>) -> Vec<u8> {
        let t = ForgedTensor {
            bytes,
            shape,
            dtype: burn::tensor::DType::F32,
        };
        bincode::serde::encode_to_vec(&t, bincode::config::standard()).unwrap()
    }

    #[test]
    fn tensors_decode_and_forged_shapes_are_refused() {
        use burn::tensor::TensorData;
        let good = TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
        let bytes = bincode::serde::encode_to_vec(&good, bincode::config::standard()).unwrap();
        assert_eq!(decode_bounded::<TensorData>(&bytes).unwrap(), good);
        // Our mirror writes what Burn writes, so the forgeries below are realistic.
        assert_eq!(tensor(good.bytes.to_vec(), vec![2, 3]), bytes);
        // 6 values, a shape of 2^40 elements (Burn would allocate 4 TiB to convert it).
        let forged = tensor(vec![0; 24], vec![1 << 20, 1 << 20]);
        let err = decode_bounded::<TensorData>(&forged).unwrap_err();
        assert!(
            format!("{err:?}").contains("elements comes with only 24 bytes"),
            "{err:?}"
        );
        // A shape whose length field claims 2^40 dimensions: an error, not a 8 TiB SmallVec.
        let t = tensor(vec![1, 2, 3, 4], vec![]);
        let at = 5; // varint 4, four bytes, then the shape's length (0)
        assert_eq!(t[at], 0);
        let mut forged = t[..at].to_vec();
        forged.push(0xFD);
        forged.extend_from_slice(&(1u64 << 40).to_le_bytes());
        forged.extend_from_slice(&t[at + 1..]);
        assert!(decode_bounded::<TensorData>(&forged).is_err());
    }
}
