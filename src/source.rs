//! Policy files as bytes → text: the one place that decides what a policy's encoding is.
//!
//! A policy is UTF-8. A byte-order mark (as Windows editors write one) is dropped, so it
//! neither breaks the first line nor shifts a span. A file in another encoding (GBK,
//! UTF-16, ...) is not guessed at: it gets an E0105 diagnostic naming the byte offset,
//! rendered against the text as far as it could be read.

use crate::diag::{Code, Diagnostic};
use crate::span::Span;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a policy file's bytes are not UTF-8 text.
#[derive(Debug)]
pub struct NotText {
    /// The E0105 diagnostic.
    pub diagnostic: Diagnostic,
    /// The text to render it against: the bytes, lossily decoded, which keeps every
    /// offset before the first bad byte.
    pub text: String,
}

/// The text of a policy file, or why its bytes are not UTF-8 text.
pub fn decode(bytes: &[u8]) -> Result<&str, Box<NotText>> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let utf16 = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") || looks_like_utf16(bytes);
    if utf16 {
        let diagnostic = Diagnostic::new(
            Code::NotUtf8,
            "the file is UTF-16, not UTF-8 (byte offset 0)",
            Span::new(0, 0),
            "UTF-16 text starts here",
        )
        .with_help("save the file as UTF-8 (in most editors: Save As, encoding UTF-8)")
        .in_chinese("文件是 UTF-16 编码，不是 UTF-8（字节偏移 0）", "UTF-16 文本从这里开始")
        .help_in_chinese("请把文件另存为 UTF-8 编码（多数编辑器：另存为，编码选 UTF-8）");
        return Err(Box::new(NotText { diagnostic, text: String::new() }));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) => {
            let at = error.valid_up_to();
            let bad = bytes.get(at).copied().unwrap_or_default();
            let lossy = String::from_utf8_lossy(bytes).into_owned();
            // A GBK or GB18030 character is a lead byte 0x81..=0xFE and a trail byte;
            // naming the likely encoding tells the analyst what their editor did.
            let likely = if (0x81..=0xFE).contains(&bad) { " (it looks like GBK or GB18030)" } else { "" };
            let diagnostic = Diagnostic::new(
                Code::NotUtf8,
                format!("the file is not UTF-8{likely}: byte 0x{bad:02X} at byte offset {at} is not valid UTF-8"),
                Span::new(at, at + 1),
                "this byte",
            )
            .with_help("save the file as UTF-8 (in most editors: Save As, encoding UTF-8)")
            .in_chinese(format!("文件不是 UTF-8 编码：字节偏移 {at} 处的字节 0x{bad:02X} 不是有效的 UTF-8"), "这个字节")
            .help_in_chinese("请把文件另存为 UTF-8 编码（多数编辑器：另存为，编码选 UTF-8）");
            Err(Box::new(NotText { diagnostic, text: lossy }))
        }
    }
}

/// UTF-16 without a byte-order mark: ASCII text with a zero byte beside every character.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(64)).unwrap_or_default();
    head.len() >= 4 && head.chunks(2).filter(|pair| pair.contains(&0)).count() * 2 >= head.len() / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_dropped() {
        assert_eq!(decode(b"\xEF\xBB\xBFpolicy").ok(), Some("policy"));
    }

    #[test]
    fn gbk_names_the_offset() {
        // "政策" in GBK after four ASCII bytes.
        let Err(error) = decode(b"abc \xD5\xFE\xB2\xDF") else { panic!("GBK accepted") };
        let diagnostic = error.diagnostic;
        assert_eq!(diagnostic.primary.span.start, 4);
        assert!(diagnostic.message.contains("byte offset 4"), "{}", diagnostic.message);
        assert!(diagnostic.message.contains("GBK"), "{}", diagnostic.message);
    }

    #[test]
    fn utf16_is_named() {
        let text: Vec<u8> = "policy \"p\"".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let Err(error) = decode(&text) else { panic!("UTF-16 accepted") };
        assert!(error.diagnostic.message.contains("UTF-16"));
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(&text);
        assert!(decode(&with_bom).is_err());
    }
}
