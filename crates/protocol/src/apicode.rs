//! The seed's interface identifiers (`apicode`).

use std::fmt;
use std::str::FromStr;

/// Which channel an apicode travels on (PROTOCOL.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// TCP frames (or, phone to relay, `/v1/frame` and `/v1/link`): carry a `timeStamp`.
    Command,
    /// HTTP JSON at the task URL: no `timeStamp`; some carry a `taskid`.
    Task,
}

macro_rules! apicodes {
    ($($variant:ident = $text:literal, $channel:ident, $doc:literal;)*) => {
        /// Every interface identifier of seed document 001, part 2.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Apicode {
            $(#[doc = $doc] $variant,)*
        }

        impl Apicode {
            /// Every apicode, in the seed's order.
            pub const ALL: &'static [Apicode] = &[$(Apicode::$variant,)*];

            /// The identifier as it travels, e.g. `"C_SIGN_IN"`.
            pub fn as_str(self) -> &'static str {
                match self { $(Apicode::$variant => $text,)* }
            }

            /// The channel this apicode travels on.
            pub fn channel(self) -> Channel {
                match self { $(Apicode::$variant => Channel::$channel,)* }
            }
        }

        impl FromStr for Apicode {
            type Err = ();
            fn from_str(text: &str) -> Result<Self, ()> {
                match text { $($text => Ok(Apicode::$variant),)* _ => Err(()) }
            }
        }
    };
}

apicodes! {
    CAuth = "C_AUTH", Command, "Device authentication; returns a token (seed 2.1).";
    CHeartbeat = "C_HEARTBEAT", Command, "Heartbeat at least every 60 s; returns pending task ids (seed 2.2).";
    CSignIn = "C_SIGN_IN", Command, "An attendance record (seed 2.3, PROTOCOL.md §7).";
    TGetTasks = "T_GET_TASKS", Task, "Fetch the tasks behind task ids (seed 3.1).";
    TUpdateTasksStatus = "T_UPDATE_TASKS_STATUS", Task, "Report task results and roster counts (seed 3.2).";
    TSendPerson = "T_SEND_PERSON", Task, "Fetch persons to add to the device, by page (seed 3.3).";
    TUpdateDevicePerson = "T_UPDATE_DEVICE_PERSON", Task, "Fetch persons to upsert on the device, by page (seed 3.4).";
    TDelDevicePerson = "T_DEL_DEVICE_PERSON", Task, "Fetch person ids to delete from the device (seed 3.5).";
    TClearDevicePerson = "T_CLEAR_DEVICE_PERSON", Task, "Clear the device's persons (seed 3.6).";
    TUpdateDeviceVersion = "T_UPDATE_DEVICE_VERSION", Task, "Firmware update (seed 3.7).";
    TPostDevicePerson = "T_POST_DEVICE_PERSON", Task, "Report the device's roster, by page (seed 3.8).";
}

impl Apicode {
    /// Whether requests with this apicode carry a `taskid` (and reply signs cover it): the tasks
    /// a platform queues for a device, as opposed to the two task-management calls.
    pub fn has_taskid(self) -> bool {
        self.channel() == Channel::Task
            && !matches!(self, Apicode::TGetTasks | Apicode::TUpdateTasksStatus)
    }

    /// Whether this apicode's request must carry a `param` (`402_06` when empty).
    pub(crate) fn requires_param(self) -> bool {
        !matches!(
            self,
            Apicode::CAuth | Apicode::TDelDevicePerson | Apicode::TClearDevicePerson
        )
    }
}

impl fmt::Display for Apicode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
