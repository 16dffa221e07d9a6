"""Reference codes: unified social credit codes, divisions, industries, record types."""
