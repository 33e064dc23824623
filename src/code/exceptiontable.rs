//! Exception table (`co_exceptiontable`) encoder and decoder.
