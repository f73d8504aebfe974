//! The `recordId` a phone gives each record (PROTOCOL.md §9).

/// A record id from 16 random bytes, in the textual form of a UUID version 4
/// (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`), so it is unique without coordination and readable
/// in logs. The caller supplies the randomness (the browser's `crypto.getRandomValues`).
pub fn record_id_from_random(mut random: [u8; 16]) -> String {
    random[6] = (random[6] & 0x0f) | 0x40;
    random[8] = (random[8] & 0x3f) | 0x80;
    let hex: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
