//! Reading and writing single NDJSON lines on the socket, with the [`MAX_LINE`] limit.
//!
//! Only framing: no knowledge of what the lines mean.

use notify_shared::local::{MAX_LINE, Reply};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Why a line could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// It was longer than [`MAX_LINE`].
    #[error("a line is longer than {MAX_LINE} bytes")]
    TooLong,
    /// The connection failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads one line (without its `\n`), `None` at the end of the stream.
pub async fn read<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Option<Vec<u8>>, LineError> {
    let mut buf = Vec::new();
    let limit = u64::try_from(MAX_LINE)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let n = (&mut *reader)
        .take(limit)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    if buf.len() > MAX_LINE {
        return Err(LineError::TooLong);
    }
    Ok(Some(buf))
}

/// Writes `reply` as one line.
pub async fn write<W: AsyncWrite + Unpin>(writer: &mut W, reply: &Reply) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(reply).map_err(std::io::Error::other)?;
    line.push(b'\n');
    writer.write_all(&line).await?;
    writer.flush().await
}
