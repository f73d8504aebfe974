//! The phones the relay knows, in memory for every frame's checks, backed by the store.

use std::collections::HashMap;

use crate::store::Phone;
use zj_protocol::{Credential, CredentialDirectory};

/// Phones by `accessId` and by sn: the credential directory of the phone leg.
#[derive(Debug, Clone, Default)]
pub(crate) struct PhoneBook {
    by_access_id: HashMap<String, Phone>,
    by_sn: HashMap<String, String>,
}

impl PhoneBook {
    /// A phone book holding `phones`.
    pub(crate) fn new(phones: impl IntoIterator<Item = Phone>) -> Self {
        let mut book = PhoneBook::default();
        for phone in phones {
            book.insert(phone);
        }
        book
    }

    /// Adds or replaces a phone.
    pub(crate) fn insert(&mut self, phone: Phone) {
        self.by_sn.insert(phone.sn.clone(), phone.access_id.clone());
        self.by_access_id.insert(phone.access_id.clone(), phone);
    }

    /// Marks a phone revoked; false when unknown.
    pub(crate) fn revoke(&mut self, access_id: &str) -> bool {
        match self.by_access_id.get_mut(access_id) {
            Some(phone) => {
                phone.revoked = true;
                true
            }
            None => false,
        }
    }

    /// A phone by `accessId`, revoked or not.
    pub(crate) fn get(&self, access_id: &str) -> Option<&Phone> {
        self.by_access_id.get(access_id)
    }
}

impl CredentialDirectory for PhoneBook {
    fn credential(&self, access_id: &str) -> Option<Credential> {
        (self.by_access_id.get(access_id))
            .filter(|phone| !phone.revoked)
            .map(|phone| Credential {
                access_id: phone.access_id.clone(),
                access_key: phone.access_key.clone(),
                access_secret: phone.access_secret.clone(),
            })
    }

    fn owner_of(&self, sn: &str) -> Option<String> {
        self.by_sn.get(sn).cloned()
    }
}
