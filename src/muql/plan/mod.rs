//! (filled in by the MUQL work of issue 6)
