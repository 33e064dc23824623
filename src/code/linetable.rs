//! Location table (`co_linetable`) encoder and decoder.
