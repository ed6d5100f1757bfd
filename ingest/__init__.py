"""Turn article files into cleaned, dated, chunked records in the store."""
