//! The names the contract's unit enums go by on the wire and in the databases (`high`,
//! `read_all`, `partially_delivered`): the same as their JSON (serde) names, derived by
//! `strum` (`IntoStaticStr`, `EnumString` for parsing them back with `str::parse`). A test
//! checks that the two agree for every variant. (`Scope` has its own `as_str` and `FromStr`,
//! whose error names the scopes there are.)
//!
//! No crate may turn a contract enum into text through serde: it goes through here.

use crate::api::{Channel, OperationStatus, Priority};
use crate::stream::StreamKind;
use crate::views::{DeliveryStatus, NotificationStatus, OperationKind};

/// A unit enum of the contract, by its wire name.
pub trait WireName: Copy + Into<&'static str> {
    /// The wire name: `partially_delivered`.
    fn as_str(self) -> &'static str {
        self.into()
    }
}

impl WireName for Priority {}
impl WireName for Channel {}
impl WireName for OperationStatus {}
impl WireName for NotificationStatus {}
impl WireName for DeliveryStatus {}
impl WireName for OperationKind {}
impl WireName for StreamKind {}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::str::FromStr;

    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use strum::VariantArray;

    use super::*;

    fn agrees<T>()
    where
        T: WireName + VariantArray + Serialize + DeserializeOwned + FromStr + PartialEq + Debug,
        <T as FromStr>::Err: Debug,
    {
        for variant in T::VARIANTS {
            let json = serde_json::to_value(variant).expect("serializes");
            assert_eq!(json, variant.as_str(), "{variant:?}");
            assert_eq!(&variant.as_str().parse::<T>().expect("parses"), variant);
        }
        assert!("Not_A_Name".parse::<T>().is_err());
    }

    #[test]
    fn wire_names_are_the_json_names() {
        agrees::<Priority>();
        agrees::<Channel>();
        agrees::<OperationStatus>();
        agrees::<NotificationStatus>();
        agrees::<DeliveryStatus>();
        agrees::<OperationKind>();
        agrees::<StreamKind>();
        assert_eq!(
            OperationStatus::PartiallyDelivered.as_str(),
            "partially_delivered"
        );
        assert_eq!(OperationKind::ReadAll.as_str(), "read_all");
    }
}
