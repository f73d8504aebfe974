//! The simulator's credential directory: one vendor credential and its registered sns.

use zj_protocol::{Credential, CredentialDirectory};

/// The vendor credential given on the command line and the sns registered to it.
#[derive(Debug, Clone)]
pub(crate) struct SimDirectory {
    credential: Credential,
    sns: Vec<String>,
}

impl SimDirectory {
    /// A directory holding `credential`, owner of `sns`.
    pub(crate) fn new(credential: Credential, sns: Vec<String>) -> Self {
        Self { credential, sns }
    }

    /// The registered sns, in command-line order.
    pub(crate) fn sns(&self) -> &[String] {
        &self.sns
    }
}

impl CredentialDirectory for SimDirectory {
    fn credential(&self, access_id: &str) -> Option<Credential> {
        (self.credential.access_id == access_id).then(|| self.credential.clone())
    }

    fn owner_of(&self, sn: &str) -> Option<String> {
        self.sns
            .iter()
            .any(|known| known == sn)
            .then(|| self.credential.access_id.clone())
    }
}
