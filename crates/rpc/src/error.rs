//! JSON-RPC errors with the codes and messages Ethereum clients act on.

use alloy_primitives::Bytes;
use jsonrpsee::types::{ErrorObjectOwned, error::INVALID_PARAMS_CODE};
use sheaf_module_api::Revert;

/// geth's code for a rejected transaction or a failed state query.
pub const SERVER_ERROR: i32 = -32000;
/// EIP-1474 / geth: execution reverted, with the revert data in `data`.
pub const EXECUTION_REVERTED: i32 = 3;
/// geth: the response would exceed the size limit.
pub const LIMIT_EXCEEDED: i32 = -32005;

#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    #[error("{0}")]
    InvalidParams(String),
    #[error("{0}")]
    Server(String),
    #[error("execution reverted: {}", .0)]
    Reverted(Revert),
    #[error("{0}")]
    LimitExceeded(String),
}

impl RpcError {
    pub fn params(message: impl Into<String>) -> Self {
        RpcError::InvalidParams(message.into())
    }
    pub fn server(message: impl std::fmt::Display) -> Self {
        RpcError::Server(message.to_string())
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(error: RpcError) -> Self {
        let message = error.to_string();
        match error {
            RpcError::InvalidParams(_) => {
                ErrorObjectOwned::owned(INVALID_PARAMS_CODE, message, None::<()>)
            }
            RpcError::Server(_) => ErrorObjectOwned::owned(SERVER_ERROR, message, None::<()>),
            RpcError::LimitExceeded(_) => {
                ErrorObjectOwned::owned(LIMIT_EXCEEDED, message, None::<()>)
            }
            RpcError::Reverted(revert) => {
                let data: Bytes = revert.data();
                ErrorObjectOwned::owned(EXECUTION_REVERTED, message, Some(data))
            }
        }
    }
}

impl From<jsonrpsee::types::ErrorObjectOwned> for RpcError {
    fn from(e: ErrorObjectOwned) -> Self {
        RpcError::InvalidParams(e.message().to_string())
    }
}

pub type RpcResult<T> = Result<T, RpcError>;
