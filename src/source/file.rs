//! STUB
use super::Frame;
#[derive(Debug)]
pub struct SourceError;
impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("stub")
    }
}
pub struct FileSource;
impl FileSource {
    pub fn open(_path: &str) -> Result<FileSource, SourceError> {
        Err(SourceError)
    }
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        Ok(None)
    }
    pub fn bytes_read(&self) -> u64 {
        0
    }
    pub fn total_len(&self) -> Option<u64> {
        None
    }
}
