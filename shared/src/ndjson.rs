//! The local socket's framing, the same on both ends: one JSON value per line, at most
//! [`MAX_LINE`] bytes. Only framing; what the lines mean is in [`crate::local`].

use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::local::MAX_LINE;

/// One line as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Its bytes, without the `\n` (or `\r\n`) that ended it.
    pub bytes: Vec<u8>,
    /// Whether a `\n` ended it; `false` when the peer hung up in the middle of it.
    pub terminated: bool,
}

/// Why a line could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// It was longer than [`MAX_LINE`]; nothing after it can be framed.
    #[error("a line is longer than {MAX_LINE} bytes")]
    TooLong,
    /// The connection failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads one line; `None` at the end of the stream. Never buffers more than [`MAX_LINE`] + 1
/// bytes, whatever the peer sends.
pub async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Option<Line>, LineError> {
    let mut bytes = Vec::new();
    // One byte over the limit tells a line that is too long from one that just fits.
    let limit = u64::try_from(MAX_LINE)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let n = (&mut *reader)
        .take(limit)
        .read_until(b'\n', &mut bytes)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    let terminated = bytes.last() == Some(&b'\n');
    if terminated {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    if bytes.len() > MAX_LINE {
        return Err(LineError::TooLong);
    }
    Ok(Some(Line { bytes, terminated }))
}

/// Writes `value` as one line and flushes it.
pub async fn write_line<W: AsyncWrite + Unpin>(
    writer: &mut W,
    value: &impl Serialize,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    writer.write_all(&line).await?;
    writer.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Result<Line, String>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let mut reader = input;
            let mut out = Vec::new();
            loop {
                match read_line(&mut reader).await {
                    Ok(Some(line)) => out.push(Ok(line)),
                    Ok(None) => break,
                    Err(e) => {
                        out.push(Err(e.to_string()));
                        break;
                    }
                }
            }
            out
        })
    }

    fn line(bytes: &[u8], terminated: bool) -> Result<Line, String> {
        Ok(Line {
            bytes: bytes.to_vec(),
            terminated,
        })
    }

    #[test]
    fn lines_end_at_newlines_and_a_hang_up_shows() {
        assert_eq!(
            lines(b"a\nb\r\n\nc"),
            [
                line(b"a", true),
                line(b"b", true),
                line(b"", true),
                line(b"c", false)
            ]
        );
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn a_line_over_the_limit_is_refused() {
        let mut exact = vec![b'x'; MAX_LINE];
        exact.push(b'\n');
        assert_eq!(lines(&exact), [line(&exact[..MAX_LINE], true)]);
        let long = vec![b'x'; MAX_LINE + 1];
        assert_eq!(
            lines(&long),
            [Err(format!("a line is longer than {MAX_LINE} bytes"))]
        );
    }
}
