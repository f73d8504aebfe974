//! The error codes of seed §1.3, as read by PROTOCOL.md §8.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $message:literal;)*) => {
        /// Every error code a platform (or the relay, towards phones) answers with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $message] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the seed's order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it travels, e.g. `"400_04"`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The seed's message for this code (Chinese, as the platform sends it).
            pub fn message(self) -> &'static str {
                match self { $(ErrorCode::$variant => $message,)* }
            }
        }

        impl FromStr for ErrorCode {
            type Err = ();
            fn from_str(text: &str) -> Result<Self, ()> {
                match text { $($code => Ok(ErrorCode::$variant),)* _ => Err(()) }
            }
        }
    };
}

// 400_01: the seed's message says "APICODE 为空" but PROTOCOL.md §8 gives "empty" to 402_04 and
// "present but unknown" to 400_01, so the message says what the code now means.
error_codes! {
    ApicodeUnknown = "400_01", "APICODE 无法识别";
    ParamUnparsable = "400_02", "param 解析失败";
    SignMismatch = "400_04", "token 或 sign 验证失败";
    TimestampWindow = "400_05", "timestamp 验证错误";
    TokenUnknown = "401_01", "token 不存在";
    CredentialsRevoked = "401_02", "认证密钥已失效";
    VersionEmpty = "402_01", "当前版本号(数据包版本号)不能为空";
    SnEmpty = "402_02", "设备号不能为空";
    TokenEmpty = "402_03", "设备认证通过 Token 值不能为空";
    ApicodeEmpty = "402_04", "接口标识不能为空";
    TimestampEmpty = "402_05", "时间戳不能为空";
    ParamEmpty = "402_06", "请求参数 json 串 param 不能为空";
    SignEmpty = "402_07", "签名不能为空";
    AttendanceTypeInvalid = "403_01", "考勤类型有误,请参考数据字典传值";
    BitTypeInvalid = "403_02", "考勤复合类型有误,请参考数据字典传值";
    QrCodeTypeInvalid = "403_03", "二维码类型有误,请参考数据字典传值";
    TimestampShape = "404_01", "时间戳 timeStamp 格式有误, 正确格式为yyyyMMddHHmmss";
    SystemError = "500_01", "系统异常";
}

impl ErrorCode {
    /// Whether this code refuses the record itself (`400_02`, `403_0x`), so that sending
    /// it again can only be refused again. Every other code is about the sender's
    /// credentials, token, clock or the platform, and a later attempt may succeed.
    pub fn refuses_the_record(self) -> bool {
        matches!(
            self,
            ErrorCode::ParamUnparsable
                | ErrorCode::AttendanceTypeInvalid
                | ErrorCode::BitTypeInvalid
                | ErrorCode::QrCodeTypeInvalid
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal as it travels in a reply's `error` member:
/// `{"errorcode":"400_04","errormsg":"token 或 sign 验证失败"}`.
///
/// `errormsg` is the seed's message, followed by `: detail` when the refuser says more (which
/// field, which limit), so a person reading a log knows what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{errorcode} {errormsg}")]
pub struct ProtocolError {
    /// The code as it travels; kept as text so an unknown code from a peer survives.
    pub errorcode: String,
    /// Human-readable message.
    pub errormsg: String,
}

impl ProtocolError {
    /// The refusal `code` with the seed's message.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            errorcode: code.as_str().to_owned(),
            errormsg: code.message().to_owned(),
        }
    }

    /// The refusal `code` with the seed's message and a detail saying what exactly was wrong.
    pub fn with_detail(code: ErrorCode, detail: impl fmt::Display) -> Self {
        Self {
            errorcode: code.as_str().to_owned(),
            errormsg: format!("{}: {detail}", code.message()),
        }
    }

    /// The code, when it is one of the known ones.
    pub fn code(&self) -> Option<ErrorCode> {
        self.errorcode.parse().ok()
    }
}

impl From<ErrorCode> for ProtocolError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}
